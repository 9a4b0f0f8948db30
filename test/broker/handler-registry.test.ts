/**
 * The handler registry decides where each API is served: the handlers
 * registered `forwardToController` are exactly Kafka's controller APIs that
 * kb serves, so a node that is not the active controller forwards those and
 * serves every other API itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handlers } from '../../src/broker/handlers/index.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';

test('the handlers forwarded to the active controller are the controller APIs', () => {
  const forwarded = [...handlers.values()].filter((h) => h.forwardToController === true).map((h) => h.apiKey);
  assert.deepEqual(forwarded.sort((a, b) => a - b), [
    ApiKeys.CreateTopics,
    ApiKeys.DeleteTopics,
    ApiKeys.CreateAcls,
    ApiKeys.DeleteAcls,
    ApiKeys.AlterConfigs,
    ApiKeys.CreatePartitions,
    ApiKeys.ElectLeaders,
    ApiKeys.IncrementalAlterConfigs,
    ApiKeys.AlterPartitionReassignments,
    ApiKeys.ListPartitionReassignments,
    ApiKeys.AlterClientQuotas,
    ApiKeys.AlterUserScramCredentials,
    ApiKeys.AlterPartition,
    ApiKeys.BrokerRegistration,
    ApiKeys.BrokerHeartbeat,
    ApiKeys.AllocateProducerIds,
  ]);
});
