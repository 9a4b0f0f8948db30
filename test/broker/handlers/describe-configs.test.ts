/**
 * DescribeConfigs run with fakes of the services it needs (the metadata
 * image, this node, topic and broker configs), no broker: which entries it
 * answers for a topic and for this broker, what it leaves out, and the
 * errors for a missing topic, another broker and an unsupported resource.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import describeConfigs from '../../../src/broker/handlers/32-describe-configs.ts';
import type { ConfigService, NodeService } from '../../../src/broker/handlers/handler.ts';
import type { ConfigEntry } from '../../../src/broker/topic-configs.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { configResourceType, configSource } from '../../../src/protocol/config-codes.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { defaultDescribeConfigsRequest, type DescribeConfigsResource } from '../../../src/protocol/generated/describe-configs-request.ts';
import { handle } from './fake-services.ts';

const topicEntries: ConfigEntry[] = [
  { name: 'cleanup.policy', value: 'compact', source: configSource.dynamicTopic, isDefault: false, readOnly: false, configType: 2, doc: 'delete or compact' },
  { name: 'retention.ms', value: '604800000', source: configSource.default, isDefault: true, readOnly: false, configType: 5, doc: 'how long to keep' },
  { name: 'segment.bytes', value: '1024', source: configSource.staticBroker, isDefault: false, readOnly: false, configType: 3, doc: 'segment size' },
];
const brokerEntries: ConfigEntry[] = [
  { name: 'leader.replication.throttled.rate', value: '100', source: configSource.dynamicBroker, isDefault: false, readOnly: false, configType: 5, doc: 'throttle' },
];

function fakes() {
  const image = new MetadataImage();
  image.apply({ type: 'topic', name: 't', topicId: 'ab'.repeat(16) });
  const asked: string[] = [];
  const configs: ConfigService = {
    entries: (topic) => {
      asked.push(topic);
      return topic === 't' ? topicEntries : [];
    },
    brokerEntries: () => brokerEntries,
    storedCompression: () => null,
  };
  const node = { nodeId: 3 } as NodeService;
  return { services: { image, configs, node }, asked };
}

function resource(resourceType: number, resourceName: string, configurationKeys: string[] | null = null): DescribeConfigsResource {
  return { resourceType, resourceName, configurationKeys };
}

test('a topic: the named keys only, with their source, synonyms and documentation when asked', async () => {
  const { services, asked } = fakes();
  const request = {
    ...defaultDescribeConfigsRequest(),
    resources: [resource(configResourceType.topic, 't', ['retention.ms', 'cleanup.policy'])],
    includeSynonyms: true,
    includeDocumentation: true,
  };
  const response = await handle(describeConfigs, request, 4, services);
  assert.deepEqual(asked, ['t']);
  assert.equal(response!.results.length, 1);
  const [result] = response!.results;
  assert.equal(result.errorCode, ErrorCode.NONE);
  assert.equal(result.resourceName, 't');
  assert.deepEqual(
    result.configs.map((c) => [c.name, c.value, c.configSource, c.isDefault, c.configType, c.documentation]),
    [
      ['cleanup.policy', 'compact', configSource.dynamicTopic, false, 2, 'delete or compact'],
      ['retention.ms', '604800000', configSource.default, true, 5, 'how long to keep'],
    ],
  );
  assert.deepEqual(result.configs[0].synonyms, [{ name: 'cleanup.policy', value: 'compact', source: configSource.dynamicTopic }]);
});

test('a topic without configuration keys: every entry, no synonyms or documentation unless asked', async () => {
  const { services } = fakes();
  const response = await handle(describeConfigs, { ...defaultDescribeConfigsRequest(), resources: [resource(configResourceType.topic, 't')] }, 2, services);
  const [result] = response!.results;
  assert.deepEqual(result.configs.map((c) => c.name), ['cleanup.policy', 'retention.ms', 'segment.bytes']);
  for (const c of result.configs) {
    assert.deepEqual(c.synonyms, []);
    assert.equal(c.documentation, null);
  }
});

test('this broker by id or by the empty name: its settings; another broker, a missing topic, a group: an error and no configs', async () => {
  const { services, asked } = fakes();
  const request = {
    ...defaultDescribeConfigsRequest(),
    resources: [
      resource(configResourceType.broker, '3'),
      resource(configResourceType.broker, ''),
      resource(configResourceType.broker, '4'),
      resource(configResourceType.topic, 'missing'),
      resource(3, 'a-group'),
    ],
  };
  const response = await handle(describeConfigs, request, 4, services);
  assert.deepEqual(
    response!.results.map((r) => [r.resourceName, r.errorCode, r.errorMessage, r.configs.map((c) => c.name)]),
    [
      ['3', ErrorCode.NONE, null, ['leader.replication.throttled.rate']],
      ['', ErrorCode.NONE, null, ['leader.replication.throttled.rate']],
      ['4', ErrorCode.INVALID_REQUEST, "this is broker 3; ask broker '4' itself", []],
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic 'missing' does not exist", []],
      ['a-group', ErrorCode.INVALID_REQUEST, 'resource type 3 is not supported', []],
    ],
  );
  assert.deepEqual(asked, [], 'no topic configs are read for resources that are not existing topics');
});
