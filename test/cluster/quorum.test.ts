import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../helpers/cluster.ts';
import { Cluster } from '../../src/client/cluster.ts';

const fastQuorum = { 'controller.quorum.election.timeout.ms': 300, 'controller.quorum.fetch.timeout.ms': 1000 };

function clientOf(address: string): Cluster {
  const [host, port] = address.split(':');
  return new Cluster({ bootstrap: [{ host, port: Number(port) }], clientId: 'quorum-test', requestTimeoutMs: 15_000 });
}

async function metadataFrom(address: string) {
  const cluster = clientOf(address);
  try {
    return await cluster.refreshMetadata(null);
  } finally {
    cluster.close();
  }
}

/** CreateTopics sent to the node at `address` itself, whether it is the controller or not. */
async function createTopicAt(address: string, name: string): Promise<number> {
  const cluster = clientOf(address);
  try {
    const [host, port] = address.split(':');
    const connection = await cluster.connection(host, Number(port));
    const response = await connection.request(19, 7, {
      topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 15_000,
      validateOnly: false,
    });
    return response.topics[0].errorCode;
  } finally {
    cluster.close();
  }
}

test('three voters elect one controller, every node serves the metadata it commits, and a new controller takes over when it dies', async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastQuorum });
  t.after(() => cluster.stop());

  const views = await Promise.all(cluster.nodeIds.map((id) => metadataFrom(cluster.address(id))));
  const controllers = new Set(views.map((v) => v.controllerId));
  assert.equal(controllers.size, 1, `every node names the same controller: ${[...controllers]}`);
  const controller = [...controllers][0];
  assert.ok(cluster.nodeIds.includes(controller));

  // A topic created through a node that is not the controller is forwarded to it and seen by every node.
  const other = cluster.nodeIds.find((id) => id !== controller)!;
  assert.equal(await createTopicAt(cluster.address(other), 'first'), 0);
  for (const id of cluster.nodeIds) {
    const view = await metadataFrom(cluster.address(id));
    assert.ok(view.topics.has('first'), `node ${id} knows topic first`);
  }

  await cluster.kill(controller);
  const survivor = cluster.nodeIds.find((id) => id !== controller)!;
  const started = Date.now();
  let newController = -1;
  while (Date.now() - started < 10_000) {
    newController = (await metadataFrom(cluster.address(survivor))).controllerId;
    if (newController !== -1 && newController !== controller) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.notEqual(newController, controller, 'a surviving voter became the controller');
  assert.equal(await createTopicAt(cluster.address(survivor), 'second'), 0);
  assert.ok(Date.now() - started < 15_000, 'topic creation works again within seconds');
  for (const id of cluster.nodeIds.filter((n) => n !== controller)) {
    const view = await metadataFrom(cluster.address(id));
    assert.ok(view.topics.has('second'), `node ${id} knows topic second`);
  }
});
