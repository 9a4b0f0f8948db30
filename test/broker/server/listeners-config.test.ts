/** How a node's listeners are decided from Kafka's settings and kb's shorthands (listeners-config.ts), and each refusal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig } from '../../../src/broker/config.ts';
import { ListenerUsageError, resolveListeners, type ListenerShorthands } from '../../../src/broker/server/listeners-config.ts';
import { parseHostPort, parseVoters } from '../../../src/net/host-port.ts';

const config = (settings: Record<string, string> = {}) => new BrokerConfig(Object.entries(settings));
const voters = parseVoters('1@10.0.0.1:9093,2@10.0.0.2:9093,3@10.0.0.3:9093');
const summary = (specs: ReturnType<typeof resolveListeners>) => specs.map((s) => `${s.name}://${s.host}:${s.port} ${s.peer ? 'peer' : 'client'} -> ${s.advertised.host}:${s.advertised.port}`);

test('a node alone: one client listener, no peer listener needed', () => {
  assert.deepEqual(summary(resolveListeners(config(), { nodeId: 1 })), ['CLIENT://127.0.0.1:9092 client -> 127.0.0.1:9092']);
  assert.deepEqual(summary(resolveListeners(config({ listeners: 'CLIENT://0.0.0.0:9000' }), { nodeId: 1 })), ['CLIENT://0.0.0.0:9000 client -> 0.0.0.0:9000']);
});

test("a voter's peer listener is its --voters entry; a broker-only node's is --peer-listen", () => {
  const voter = resolveListeners(config(), { nodeId: 2, listen: parseHostPort('0.0.0.0:9092'), advertised: parseHostPort('kb2.example:9092'), voters });
  assert.deepEqual(summary(voter), ['CLIENT://0.0.0.0:9092 client -> kb2.example:9092', 'PEER://10.0.0.2:9093 peer -> 10.0.0.2:9093']);
  assert.equal(voter[0].securityProtocol, 'PLAINTEXT');
  const brokerOnly = resolveListeners(config(), { nodeId: 4, listen: parseHostPort('0.0.0.0:9092'), peerListen: parseHostPort('10.0.0.4:9093'), voters });
  assert.deepEqual(summary(brokerOnly), ['CLIENT://0.0.0.0:9092 client -> 0.0.0.0:9092', 'PEER://10.0.0.4:9093 peer -> 10.0.0.4:9093']);
});

test('explicit listeners with their own names, advertised addresses and kinds; client listeners come first', () => {
  const specs = resolveListeners(
    config({
      listeners: 'INTERNAL://10.0.0.1:9093,EXTERNAL://0.0.0.0:9092,CONTROLLER://10.0.0.1:9094',
      'advertised.listeners': 'EXTERNAL://kb1.example:9092',
      'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name': 'INTERNAL',
      'controller.listener.names': 'CONTROLLER',
    }),
    { nodeId: 1, voters: parseVoters('1@10.0.0.1:9094,2@10.0.0.2:9094') },
  );
  assert.deepEqual(summary(specs), [
    'EXTERNAL://0.0.0.0:9092 client -> kb1.example:9092',
    'INTERNAL://10.0.0.1:9093 peer -> 10.0.0.1:9093',
    'CONTROLLER://10.0.0.1:9094 peer -> 10.0.0.1:9094',
  ]);
});

test('SSL listeners are served: client and peer listeners keep their protocol', () => {
  const specs = resolveListeners(config({ listeners: 'CLIENT://:9092,PEER://10.0.0.1:9093', 'listener.security.protocol.map': 'CLIENT:SSL,PEER:SSL' }), { nodeId: 1, voters });
  assert.deepEqual(
    specs.map((s) => [s.name, s.securityProtocol, s.peer]),
    [
      ['CLIENT', 'SSL', false],
      ['PEER', 'SSL', true],
    ],
  );
});

test('every mistake is refused with what to change', () => {
  const refused = (settings: Record<string, string>, shorthands: Omit<ListenerShorthands, 'nodeId'>, message: RegExp, usage = false) => {
    assert.throws(() => resolveListeners(config(settings), { nodeId: 1, ...shorthands }), (err: Error) => {
      assert.match(err.message, message);
      assert.equal(err instanceof ListenerUsageError, usage, `${err.message}: a usage error? ${usage}`);
      return true;
    });
  };
  refused({ listeners: 'CLIENT://:9092' }, { listen: parseHostPort('127.0.0.1:9092') }, /--listen and --peer-listen are shorthands for the listeners setting/, true);
  refused({}, { peerListen: parseHostPort('10.0.0.1:9999'), voters }, /--peer-listen is for broker-only nodes: node 1 is a voter/, true);
  refused({ 'advertised.listeners': 'CLIENT://a:1' }, { advertised: parseHostPort('b:2') }, /--advertised-listener is a shorthand for advertised.listeners/, true);
  refused({ listeners: 'CLIENT://:9092,client://:9093' }, {}, /the listener name CLIENT appears twice/);
  refused({ listeners: 'CLIENT://127.0.0.1:9092,PEER://127.0.0.1:9092' }, {}, /listeners CLIENT and PEER are both at 127\.0\.0\.1:9092/);
  refused({ listeners: 'CLIENT://:9092,OTHER://:9093' }, {}, /listener OTHER is not in listener.security.protocol.map: add OTHER:PLAINTEXT/);
  refused({ listeners: 'CLIENT://:9092,PEER://10.0.0.1:9093', 'inter.broker.listener.name': 'INTERNAL' }, { voters }, /inter.broker.listener.name=INTERNAL names no listener/);
  refused({ listeners: 'CLIENT://:9092,PEER://10.0.0.1:9093', 'controller.listener.names': 'CONTROLLER' }, { voters }, /controller.listener.names=CONTROLLER names no listener/);
  refused({}, { listen: parseHostPort('127.0.0.1:9092'), voters: parseVoters('2@10.0.0.2:9093') }, /node 1 is not in --voters, so it needs a peer listener .*: add --peer-listen HOST:PORT/);
  refused({}, { listen: parseHostPort('10.0.0.1:9093'), voters }, /client listener CLIENT is at 10\.0\.0\.1:9093, this node's --voters entry, which is its peer listener/);
  refused({ listeners: 'CLIENT://0.0.0.0:9093,PEER://10.0.0.1:9094' }, { voters }, /client listener CLIENT is at 10\.0\.0\.1:9093/);
  refused({ listeners: 'CLIENT:9092' }, {}, /listeners: "CLIENT:9092" is not NAME:\/\/HOST:PORT/);
  refused({ 'listener.security.protocol.map': 'CLIENT:TLS' }, {}, /TLS is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/);
});
