/**
 * ACLs on a 3-node cluster with the authorizer on: an ACL created or
 * deleted through any node (the others forward CreateAcls and DeleteAcls
 * to the controller) takes effect on every node within a second, on
 * connections that asked before (their cached decisions are dropped), and
 * survives a kill -9 of a node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../src/protocol/acl.ts';
import type { BrokerConnection } from '../../src/net/connection.ts';

const topic = 'orders';
const denyDescribe = {
  resourceType: ResourceType.TOPIC,
  resourceName: topic,
  patternType: PatternType.LITERAL,
  principal: 'User:ANONYMOUS',
  host: '*',
  operation: AclOperation.DESCRIBE,
  permission: AclPermission.DENY,
};

/** The error Metadata answers for the topic on this connection. */
async function topicError(connection: BrokerConnection): Promise<number> {
  const response = await connection.request(ApiKeys.Metadata, 9, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return response.topics[0].errorCode;
}

/** Waits until every connection answers `expected`; the milliseconds the slowest took. */
async function untilEvery(connections: BrokerConnection[], expected: number, what: string): Promise<number> {
  const started = performance.now();
  let slowest = 0;
  for (const [i, connection] of connections.entries()) {
    const deadline = started + 30_000;
    let error = await topicError(connection);
    while (error !== expected && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      error = await topicError(connection);
    }
    assert.equal(error, expected, `${what}: node ${i + 1}`);
    slowest = Math.max(slowest, performance.now() - started);
  }
  return slowest;
}

test('an ACL change through any node takes effect on every node within a second, and survives a kill -9', async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'authorizer.class.name': 'kb.StandardAuthorizer', 'allow.everyone.if.no.acl.found': true } });
  t.after(() => cluster.stop());
  const clients = cluster.nodeIds.map((id) => {
    const [host, port] = cluster.address(id).split(':');
    return { client: new Cluster({ bootstrap: [{ host, port: Number(port) }], clientId: 'acls-test', requestTimeoutMs: 15_000 }), host, port: Number(port) };
  });
  t.after(() => clients.forEach((c) => c.client.close()));
  const connections = await Promise.all(clients.map((c) => c.client.connection(c.host, c.port)));
  const created = await connections[0].request(ApiKeys.CreateTopics, 4, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 15_000, validateOnly: false });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
  await untilEvery(connections, ErrorCode.NONE, 'the topic is known everywhere');

  for (const [i, via] of connections.entries()) {
    const create = await via.request(ApiKeys.CreateAcls, 3, {
      creations: [{ ...denyDescribe, resourcePatternType: denyDescribe.patternType, permissionType: denyDescribe.permission }],
    });
    assert.equal(create.results[0].errorCode, ErrorCode.NONE);
    const denyTook = await untilEvery(connections, ErrorCode.TOPIC_AUTHORIZATION_FAILED, `the deny created via node ${i + 1}`);
    assert.ok(denyTook < 1000, `the deny created via node ${i + 1} took ${Math.round(denyTook)} ms to reach every node`);

    const remove = await via.request(ApiKeys.DeleteAcls, 3, {
      filters: [{ resourceTypeFilter: ResourceType.TOPIC, resourceNameFilter: topic, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: AclOperation.ANY, permissionType: AclPermission.ANY }],
    });
    assert.equal(remove.filterResults[0].matchingAcls.length, 1);
    const allowTook = await untilEvery(connections, ErrorCode.NONE, `the deny deleted via node ${i + 1}`);
    assert.ok(allowTook < 1000, `the delete via node ${i + 1} took ${Math.round(allowTook)} ms to reach every node`);
  }

  const create = await connections[1].request(ApiKeys.CreateAcls, 3, { creations: [{ ...denyDescribe, resourcePatternType: denyDescribe.patternType, permissionType: denyDescribe.permission }] });
  assert.equal(create.results[0].errorCode, ErrorCode.NONE);
  await untilEvery(connections, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'the deny');
  await cluster.kill(3);
  await cluster.restart(3);
  const [host, port] = cluster.address(3).split(':');
  const restarted = new Cluster({ bootstrap: [{ host, port: Number(port) }], clientId: 'acls-test', requestTimeoutMs: 15_000 });
  t.after(() => restarted.close());
  assert.equal(await topicError(await restarted.connection(host, Number(port))), ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'replayed from its own log');
});
