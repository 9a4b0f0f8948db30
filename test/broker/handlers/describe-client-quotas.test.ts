import { test } from 'node:test';
import assert from 'node:assert/strict';
import describeClientQuotas from '../../../src/broker/handlers/48-describe-client-quotas.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { handle } from './fake-services.ts';

const image = new MetadataImage();
const entities: [string | null | undefined, string | null | undefined][] = [
  ['alice', undefined],
  [null, undefined],
  ['alice', 'etl'],
  ['alice', null],
  [undefined, 'etl'],
  [undefined, null],
];
for (const [user, clientId] of entities) {
  const entity = [];
  if (user !== undefined) entity.push({ entityType: 'user', entityName: user });
  if (clientId !== undefined) entity.push({ entityType: 'client-id', entityName: clientId });
  image.apply({ type: 'clientQuota', entity, key: 'producer_byte_rate', value: 1 });
}

type Component = { entityType: string; matchType: number; match: string | null };
async function described(components: Component[], strict = false) {
  const response = (await handle(describeClientQuotas, { components, strict }, 1, { image })) as { errorCode: number; errorMessage: string | null; entries: { entity: { entityType: string; entityName: string | null }[] }[] | null };
  if (response.errorCode !== ErrorCode.NONE) return [response.errorCode, response.errorMessage];
  return response.entries!.map((e) => e.entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).join(',')).sort();
}

test("DescribeClientQuotas matches Kafka's filters: exact, default, any name; strict or not", async () => {
  assert.equal((await described([])).length, 6, 'an empty filter matches every entity');
  assert.deepEqual(await described([], true), [], 'an empty strict filter matches none');
  assert.deepEqual(await described([{ entityType: 'user', matchType: 0, match: 'alice' }]), ['user=alice', 'user=alice,client-id=<default>', 'user=alice,client-id=etl']);
  assert.deepEqual(await described([{ entityType: 'user', matchType: 0, match: 'alice' }], true), ['user=alice']);
  assert.deepEqual(await described([{ entityType: 'client-id', matchType: 1, match: null }]), ['client-id=<default>', 'user=alice,client-id=<default>']);
  assert.deepEqual(await described([{ entityType: 'client-id', matchType: 2, match: null }], true), ['client-id=<default>', 'client-id=etl']);
  assert.deepEqual(await described([{ entityType: 'user', matchType: 2, match: null }, { entityType: 'client-id', matchType: 0, match: 'etl' }], true), ['user=alice,client-id=etl']);
});

test('DescribeClientQuotas refuses a malformed filter with INVALID_REQUEST', async () => {
  assert.deepEqual(await described([{ entityType: 'ip', matchType: 2, match: null }]), [ErrorCode.INVALID_REQUEST, "Custom entity type 'ip' is not supported"]);
  assert.deepEqual(await described([{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 1, match: null }]), [
    ErrorCode.INVALID_REQUEST,
    'Entity type user cannot appear more than once in the filter',
  ]);
  assert.deepEqual(await described([{ entityType: 'user', matchType: 3, match: null }]), [ErrorCode.INVALID_REQUEST, 'Unknown match type 3']);
  assert.deepEqual(await described([{ entityType: 'user', matchType: 0, match: null }]), [ErrorCode.INVALID_REQUEST, 'An exact match for user needs a name']);
});
