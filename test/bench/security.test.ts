/**
 * Smoke run of the bench's security step (bench/lib/security.ts) with tiny
 * counts: kcat produces and consumes over PLAINTEXT, SSL and SASL_SSL, and
 * produces to a node with the authorizer on and one ACL per topic (kcat
 * fails the step on a refused record); each gives a timed run. Figures are
 * not asserted: benchmarks measure them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { kbSecurity, securityProtocols } from '../../bench/lib/security.ts';
import { openssl } from '../helpers/tls.ts';
import { requireTool, tools } from '../helpers/tools.ts';

test('bench security step: kcat over PLAINTEXT, SSL and SASL_SSL, and with the authorizer on, one timed run each', { timeout: 180_000 }, async (t) => {
  if (!requireTool(t, tools.kcat) || !requireTool(t, openssl)) return;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-bench-security-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const runs = await kbSecurity(dir, 2000, 1024, 1, 60_000);
  for (const protocol of securityProtocols) {
    assert.equal(runs.ingest[protocol].length, 1, `ingest over ${protocol}`);
    assert.equal(runs.consume[protocol].length, 1, `consume over ${protocol}`);
  }
  assert.equal(runs.ingestWithAcls.length, 1);
  for (const seconds of [...Object.values(runs.ingest).flat(), ...Object.values(runs.consume).flat(), ...runs.ingestWithAcls]) assert.ok(seconds > 0);
});
