import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientQuotas } from '../../../src/broker/auth/client-quotas.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';

function setup(window = { num: 11, sizeMs: 1000 }) {
  const image = new MetadataImage();
  let now = 1_000_000;
  const quotas = new ClientQuotas(image, () => window, () => now);
  const quota = (entity: { entityType: string; entityName: string | null }[], key: string, value: number | null) => image.apply({ type: 'clientQuota', entity, key, value });
  return { quotas, quota, advance: (ms: number) => (now += ms) };
}

describe('client quota enforcement', () => {
  it('without a quota nothing is throttled', () => {
    const { quotas } = setup();
    assert.equal(quotas.produce.recordAndThrottleMs('User:alice', 'x', 1e12), 0);
  });

  it("throttles by Kafka's formula: (rate - quota) / quota x the measured span", () => {
    const { quotas, quota, advance } = setup();
    quota([{ entityType: 'user', entityName: 'alice' }], 'producer_byte_rate', 1000);
    // A first burst is measured over num - 1 = 10 samples: 10 000 bytes is just within 1000 B/s.
    assert.equal(quotas.produce.recordAndThrottleMs('User:alice', 'x', 10_000), 0);
    // 5 000 more: 15 000 B over 10 s = 1500 B/s, so (1500 - 1000) / 1000 x 10 s.
    assert.equal(quotas.produce.recordAndThrottleMs('User:alice', 'y', 5_000), 5_000);
    assert.equal(quotas.produce.recordAndThrottleMs('User:alice', 'y', 1e6), 1_005_000, 'a byte rate is not capped: 1 015 000 B over 10 s');
    assert.equal(quotas.produce.recordAndThrottleMs('User:bob', 'y', 1e9), 0, 'bob has no quota');
    // Once the samples age out of the window, alice produces again.
    advance(1_005_000);
    assert.equal(quotas.produce.recordAndThrottleMs('User:alice', 'x', 1000), 0);
  });

  it('a sustained producer converges to the quota when it waits out each throttle', () => {
    const { quotas, quota, advance } = setup({ num: 2, sizeMs: 1000 });
    quota([{ entityType: 'client-id', entityName: null }], 'producer_byte_rate', 100_000);
    let sent = 0;
    let elapsed = 0;
    while (elapsed < 60_000) {
      sent += 10_000;
      const wait = quotas.produce.recordAndThrottleMs('User:ANONYMOUS', 'p', 10_000);
      const step = Math.max(wait, 10);
      advance(step);
      elapsed += step;
    }
    const rate = (sent * 1000) / elapsed;
    assert.ok(rate > 90_000 && rate < 110_000, `rate ${rate} B/s`);
  });

  it('a quota changed or removed applies from the next request', () => {
    const { quotas, quota } = setup();
    const alice = [{ entityType: 'user', entityName: 'alice' }];
    quota(alice, 'producer_byte_rate', 1e9);
    assert.equal(quotas.produce.recordAndThrottleMs('User:alice', 'x', 20_000), 0);
    quota(alice, 'producer_byte_rate', 1000);
    assert.ok(quotas.produce.recordAndThrottleMs('User:alice', 'x', 1) > 0, 'lowered');
    quota([{ entityType: 'user', entityName: null }], 'producer_byte_rate', 1e9);
    assert.ok(quotas.produce.recordAndThrottleMs('User:alice', 'x', 1) > 0, 'alice keeps her own');
    quota(alice, 'producer_byte_rate', null);
    assert.equal(quotas.produce.recordAndThrottleMs('User:alice', 'x', 1), 0, 'removed: the default applies');
  });

  it('a default client-id quota gives each client id its own bucket', () => {
    const { quotas, quota } = setup();
    quota([{ entityType: 'client-id', entityName: null }], 'consumer_byte_rate', 100);
    assert.ok(quotas.fetch.recordAndThrottleMs('User:ANONYMOUS', 'a', 2000) > 0);
    assert.equal(quotas.fetch.recordAndThrottleMs('User:ANONYMOUS', 'b', 1000), 0);
  });

  it('request_percentage counts percent-seconds of handler time', () => {
    const { quotas, quota } = setup();
    quota([{ entityType: 'user', entityName: null }], 'request_percentage', 10);
    // 10% over a 10 s span is 1 s of handler time: 100 percent-seconds.
    assert.equal(quotas.request.recordAndThrottleMs('User:alice', null, 100), 0);
    assert.equal(quotas.request.recordAndThrottleMs('User:alice', null, 100), 1_000, 'capped at one sample, as Kafka');
  });
});

test('buckets idle for a whole window are swept once there are many, at most once a sample', () => {
  const image = new MetadataImage();
  let now = 0;
  const quotas = new ClientQuotas(image, () => ({ num: 2, sizeMs: 1000 }), () => now);
  image.apply({ type: 'clientQuota', entity: [{ entityType: 'client-id', entityName: null }], key: 'producer_byte_rate', value: 1e9 });
  const meter = quotas.produce as unknown as { rates: Map<string, unknown>; sweep: (...args: unknown[]) => void };
  const buckets = () => meter.rates.size;
  let sweeps = 0;
  const sweep = meter.sweep.bind(meter);
  meter.sweep = (...args) => {
    sweeps++;
    sweep(...args);
  };
  for (let i = 0; i < 5000; i++) quotas.produce.recordAndThrottleMs('User:ANONYMOUS', `old-${i}`, 1);
  assert.equal(buckets(), 5000, 'all alive within the window: none swept');
  assert.equal(sweeps, 1, 'a flood of new client ids costs one sweep a sample, not one each');
  now = 2000;
  quotas.produce.recordAndThrottleMs('User:ANONYMOUS', 'new', 1);
  assert.equal(buckets(), 1, 'the idle ones are gone');
});
