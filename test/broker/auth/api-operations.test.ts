/**
 * Every API key the broker serves against the authorization table
 * (auth/api-operations.ts): each has an entry, and each entry is checked
 * the way it says. A peer API is served on peer listeners only; an API
 * checked `authorize` has that hook (and a forwarded API with anything to
 * authorize must: the controller cannot tell a forwarded request's
 * principal); an API checked by its handler asks ctx.access. The cluster
 * APIs' hooks are run with a principal that may do nothing: each refuses
 * with CLUSTER_AUTHORIZATION_FAILED in a response that encodes at every
 * version the handler serves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { handlers } from '../../../src/broker/handlers/index.ts';
import { apiAuthorization } from '../../../src/broker/auth/api-operations.ts';
import { AccessControl } from '../../../src/broker/auth/access-control.ts';
import { ApiKeys, apis } from '../../../src/protocol/generated/index.ts';
import { Writer } from '../../../src/protocol/primitives.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import type { RequestContext } from '../../../src/broker/handlers/handler.ts';
import { fakeServices } from '../handlers/fake-services.ts';

const handlersDir = path.join(import.meta.dirname, '../../../src/broker/handlers');
const sourceOf = (apiKey: number) => {
  const file = readdirSync(handlersDir).find((f) => f.startsWith(`${String(apiKey).padStart(2, '0')}-`));
  return file ? readFileSync(path.join(handlersDir, file), 'utf8') : '';
};

test('every API key the broker serves has an entry in the authorization table, and every entry an API', () => {
  const served = [...handlers.keys()].sort((a, b) => a - b);
  const listed = Object.keys(apiAuthorization).map(Number).sort((a, b) => a - b);
  assert.deepEqual(served, listed);
});

test('each API is authorized the way the table says', () => {
  for (const [apiKey, handler] of handlers) {
    const { needs, checkedBy } = apiAuthorization[apiKey];
    const what = `${apis[apiKey as keyof typeof apis]?.name ?? apiKey} (${apiKey})`;
    assert.equal(checkedBy === 'none', needs.length === 0, `${what}: 'none' exactly when it needs nothing`);
    assert.equal(handler.peerOnly === true, checkedBy === 'peer listener', `${what}: peer APIs are peerOnly`);
    assert.equal(handler.authorize !== undefined, checkedBy === 'authorize', `${what}: has authorize exactly when the table says`);
    if (handler.forwardToController && needs.length > 0 && checkedBy !== 'peer listener') assert.equal(checkedBy, 'authorize', `${what} is forwarded: authorize before forwarding`);
    if (checkedBy === 'handler') assert.match(sourceOf(apiKey), /ctx\.access|access\.(allows|mayList)/, `${what}: its handler asks ctx.access`);
  }
});

/** Requests naming one item, for the APIs that answer per item (a default request names none). */
const oneItem: Record<number, Record<string, unknown>> = {
  [ApiKeys.CreateAcls]: { creations: [{ resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 }] },
  [ApiKeys.DeleteAcls]: { filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] },
  [ApiKeys.ElectLeaders]: { topicPartitions: [{ topic: 't', partitions: [0] }] },
  [ApiKeys.AlterUserScramCredentials]: { deletions: [{ name: 'u', mechanism: 1 }] },
  [ApiKeys.AlterClientQuotas]: { entries: [{ entity: [{ entityType: 'user', entityName: 'u' }], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] }] },
};

test('the cluster APIs refuse a principal that may do nothing with CLUSTER_AUTHORIZATION_FAILED, in a response every served version encodes', () => {
  const nothing = new AccessControl({ enabled: true, superUsers: new Set(), allowIfNoAcl: false }, { acls: new Map(), aclsVersion: 0 }, () => {});
  const access = nothing.forConnection('User:eve', '10.0.0.1', false);
  let checked = 0;
  for (const [apiKey, handler] of handlers) {
    const { needs, checkedBy } = apiAuthorization[apiKey];
    if (checkedBy !== 'authorize' || !needs.every((n) => n.resource === 'Cluster' && !n.or)) continue;
    const codec = apis[apiKey as keyof typeof apis];
    for (let version = handler.minVersion; version <= handler.maxVersion; version++) {
      const ctx = { services: fakeServices({ access: nothing }), apiVersion: version, principal: access.principal, access } as unknown as RequestContext;
      const authorization = handler.authorize!({ ...(codec.request.default() as object), ...oneItem[apiKey] }, ctx);
      assert.ok(authorization && 'denied' in authorization, `${codec.name} v${version} is refused`);
      codec.response.encode(new Writer(), authorization.denied, version);
      const codes = JSON.stringify(authorization.denied, (_, v) => (typeof v === 'bigint' ? String(v) : v));
      if (version >= 1 || apiKey !== 35) assert.match(codes, new RegExp(`"errorCode":${ErrorCode.CLUSTER_AUTHORIZATION_FAILED}\\b`), `${codec.name} v${version}`);
    }
    checked++;
  }
  assert.ok(checked >= 8, `${checked} cluster APIs checked`);
});
