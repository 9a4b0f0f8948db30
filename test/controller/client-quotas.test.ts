import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planClientQuotaAlterations, type QuotaAlteration } from '../../src/controller/client-quotas.ts';
import { MetadataImage } from '../../src/metadata/image.ts';
import { appliedQuota } from '../../src/metadata/client-quotas.ts';
import { decodeMetadataSnapshot, encodeMetadataSnapshot } from '../../src/metadata/entries.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const user = (name: string | null) => ({ entityType: 'user', entityName: name });
const client = (name: string | null) => ({ entityType: 'client-id', entityName: name });
const set = (key: string, value: number) => ({ key, value, remove: false });
const remove = (key: string) => ({ key, value: 0, remove: true });

/** Plans and applies, as the controller commits and every node replays. */
function alter(image: MetadataImage, alterations: QuotaAlteration[]) {
  const planned = planClientQuotaAlterations(image, alterations);
  for (const record of planned.records) image.apply(record);
  return planned.results.map((r) => [r.errorCode, r.errorMessage]);
}

function limits(image: MetadataImage, userName: string, clientId: string) {
  const applied = appliedQuota(image.clientQuotas, userName, clientId, 'producer_byte_rate');
  return applied && [applied.limit, applied.bucket];
}

describe('client quotas in the metadata', () => {
  it("applies Kafka's precedence: user+client, user+default client, user, default user+client, default user+default client, default user, client, default client", () => {
    const image = new MetadataImage();
    const levels: [ReturnType<typeof user | typeof client>[], number][] = [
      [[client(null)], 8],
      [[client('c')], 7],
      [[user(null)], 6],
      [[user(null), client(null)], 5],
      [[client('c'), user(null)], 4],
      [[user('u')], 3],
      [[user('u'), client(null)], 2],
      [[user('u'), client('c')], 1],
    ];
    const buckets = ['["u","c"]', '["u","c"]', '["u",null]', '["u","c"]', '["u","c"]', '["u",null]', '[null,"c"]', '[null,"c"]'];
    for (const [entity, value] of levels) {
      assert.deepEqual(alter(image, [{ entity, ops: [set('producer_byte_rate', value)] }]), [[ErrorCode.NONE, null]]);
    }
    // Remove the most specific level one at a time: the next one applies.
    for (const [i, [entity]] of [...levels].reverse().entries()) {
      assert.deepEqual(limits(image, 'u', 'c'), [i + 1, buckets[i]], `level ${i + 1}`);
      alter(image, [{ entity, ops: [remove('producer_byte_rate')] }]);
    }
    assert.equal(limits(image, 'u', 'c'), null, 'no quota: unlimited');
    assert.equal(image.clientQuotas.size, 0, 'an entity without values is forgotten');
  });

  it('keys are independent, another user falls to the defaults, a snapshot carries the quotas', () => {
    const image = new MetadataImage();
    alter(image, [
      { entity: [user('alice')], ops: [set('producer_byte_rate', 1024)] },
      { entity: [user(null)], ops: [set('producer_byte_rate', 10), set('consumer_byte_rate', 20)] },
    ]);
    assert.deepEqual(appliedQuota(image.clientQuotas, 'alice', 'x', 'consumer_byte_rate'), { limit: 20, bucket: '["alice",null]' });
    assert.deepEqual(limits(image, 'bob', 'x'), [10, '["bob",null]']);
    const restored = new MetadataImage();
    for (const record of decodeMetadataSnapshot(encodeMetadataSnapshot(image.toRecords()))) restored.apply(record);
    assert.deepEqual(restored.clientQuotas, image.clientQuotas);
  });

  it("answers with Kafka's INVALID_REQUEST per entry and records nothing for it", () => {
    const image = new MetadataImage();
    const results = alter(image, [
      { entity: [], ops: [set('producer_byte_rate', 1)] },
      { entity: [{ entityType: 'ip', entityName: '1.2.3.4' }], ops: [set('producer_byte_rate', 1)] },
      { entity: [user('a'), user('b')], ops: [set('producer_byte_rate', 1)] },
      { entity: [user('a')], ops: [set('consumer_bytes', 1)] },
      { entity: [user('a')], ops: [set('producer_byte_rate', 1.5)] },
      { entity: [user('a')], ops: [set('producer_byte_rate', 0)] },
      { entity: [user('a')], ops: [set('request_percentage', 1), remove('request_percentage')] },
      { entity: [user('x'.repeat(257))], ops: [set('producer_byte_rate', 1)] },
      { entity: [user('a')], ops: [set('request_percentage', 12.5), remove('consumer_byte_rate')] },
    ]);
    assert.deepEqual(results, [
      [ErrorCode.INVALID_REQUEST, 'Invalid empty client quota entity'],
      [ErrorCode.INVALID_REQUEST, 'Unhandled client quota entity type: ip'],
      [ErrorCode.INVALID_REQUEST, 'Duplicate user in the client quota entity'],
      [ErrorCode.INVALID_REQUEST, 'Invalid configuration key consumer_bytes'],
      [ErrorCode.INVALID_REQUEST, 'Configuration producer_byte_rate must be a Long value, got 1.5'],
      [ErrorCode.INVALID_REQUEST, 'Configuration producer_byte_rate must be a positive number, got 0'],
      [ErrorCode.INVALID_REQUEST, 'Configuration request_percentage is altered twice in the same entry'],
      [ErrorCode.INVALID_REQUEST, 'A user name in a client quota entity is at most 256 characters'],
      [ErrorCode.NONE, null],
    ]);
    assert.deepEqual([...image.clientQuotas.values()].map((q) => [q.entity, [...q.values]]), [[[user('a')], [['request_percentage', 12.5]]]]);
  });
});
