/** AuthFailures: an address that failed `burst` times is refused until its budget refills; other addresses are not; the table stays bounded. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthFailures } from '../../../src/broker/server/auth-failures.ts';

test('failures per address: a burst, then refusals until the budget refills, and at most addressesMax addresses', () => {
  let now = 1_000;
  const failures = new AuthFailures({ burst: 3, perSecond: 1, addressesMax: 2 }, { monotonicMs: () => now, wallMs: () => now });
  for (let i = 0; i < 3; i++) {
    assert.equal(failures.refusal('10.0.0.1'), null);
    failures.failed('10.0.0.1');
  }
  assert.match(failures.refusal('10.0.0.1') ?? '', /too many failed authentications from 10\.0\.0\.1: try again in 1 s/);
  assert.equal(failures.refusal('10.0.0.2'), null, 'another address is not refused');
  now += 999;
  assert.notEqual(failures.refusal('10.0.0.1'), null);
  now += 1;
  assert.equal(failures.refusal('10.0.0.1'), null, 'one failure more a second');
  failures.failed('10.0.0.1');
  assert.notEqual(failures.refusal('10.0.0.1'), null);
  failures.failed('10.0.0.2');
  failures.failed('10.0.0.3');
  assert.equal(failures.refusal('10.0.0.1'), null, 'the least recently failed address is forgotten beyond addressesMax');
});
