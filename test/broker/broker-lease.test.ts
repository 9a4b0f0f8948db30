/**
 * The broker's lease (broker-lifecycle.ts) against a stand-in controller
 * and a fake monotonic clock: held from the SEND time of the last
 * acknowledged registration or heartbeat, lost once that is a session
 * timeout old (and reported then: `leaseLost`), and regained only by
 * registering again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerLifecycle } from '../../src/broker/broker-lifecycle.ts';
import { silentLogger } from '../../src/logger.ts';
import { systemTime } from '../../src/clock.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { FakeClock } from './group/fake-clock.ts';

const sessionTimeoutMs = 3000;

/** Resolves once `condition()` holds, failing after `timeoutMs` (real time). */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('the lease runs from the send time of the last acknowledged heartbeat; once lapsed, the broker registers again', async (t) => {
  let now = 0;
  let reachable = true;
  /** Time a heartbeat spends "on the wire", as with a slow controller or a pause. */
  let inFlightMs = 0;
  const sent = { registrations: 0 };
  const lifecycle = new BrokerLifecycle({
    nodeId: 1,
    channel: {
      request: async <T>(apiKey: number): Promise<T> => {
        if (!reachable) throw new Error('controller unreachable');
        if (apiKey === 62) {
          sent.registrations += 1;
          return { errorCode: ErrorCode.NONE, brokerEpoch: BigInt(sent.registrations) } as T;
        }
        now += inFlightMs;
        return { errorCode: ErrorCode.NONE, isCaughtUp: true, isFenced: false, shouldShutDown: false } as T;
      },
    },
    registration: () => ({ endpoints: [{ name: 'PEER', host: '127.0.0.1', port: 1, securityProtocol: 'PLAINTEXT' }], rack: null, clusterId: 'c' }),
    metadataOffset: () => 0,
    heartbeatIntervalMs: 5,
    sessionTimeoutMs,
    logger: silentLogger,
    time: { ...systemTime, monotonicMs: () => now },
  });
  t.after(() => lifecycle.close());
  assert.equal(lifecycle.hasLease(), false, 'no lease before registering');
  lifecycle.start();
  await lifecycle.waitUntilUnfenced();
  assert.equal(lifecycle.hasLease(), true);
  assert.equal(lifecycle.brokerEpoch, 1);

  // Acknowledged heartbeats that spent a whole session timeout on the wire renew nothing: the controller may have fenced us meanwhile.
  inFlightMs = sessionTimeoutMs;
  await until(() => lifecycle.brokerEpoch >= 2, 'a heartbeat answered a session timeout after it was sent makes the broker register again');
  inFlightMs = 0;
  await until(() => lifecycle.hasLease(), 'the new registration holds the lease');

  // The controller stops answering: the lease lapses a session timeout after the last acknowledged send.
  reachable = false;
  now += sessionTimeoutMs - 1;
  assert.equal(lifecycle.hasLease(), true, 'still within the session timeout');
  now += 1;
  assert.equal(lifecycle.hasLease(), false, 'lapsed after the session timeout');
  const registrations = sent.registrations;
  reachable = true;
  await until(() => sent.registrations > registrations && lifecycle.hasLease(), 'the broker registers again and holds a lease');
  assert.ok(lifecycle.brokerEpoch > registrations);
});

test('a lapsing lease is reported when it lapses, not when the hanging heartbeat times out', async (t) => {
  const clock = new FakeClock();
  let hang = false;
  let heartbeats = 0;
  let lost = 0;
  const lifecycle = new BrokerLifecycle({
    nodeId: 1,
    channel: {
      request: <T>(apiKey: number): Promise<T> => {
        if (apiKey === 62) return Promise.resolve({ errorCode: ErrorCode.NONE, brokerEpoch: 1n } as T);
        heartbeats += 1;
        if (hang) return new Promise<T>(() => {}); // cut off: no answer, and the request's own timeout is far off
        return Promise.resolve({ errorCode: ErrorCode.NONE, isCaughtUp: true, isFenced: false, shouldShutDown: false } as T);
      },
    },
    registration: () => ({ endpoints: [{ name: 'PEER', host: '127.0.0.1', port: 1, securityProtocol: 'PLAINTEXT' }], rack: null, clusterId: 'c' }),
    metadataOffset: () => 0,
    heartbeatIntervalMs: 100,
    sessionTimeoutMs,
    logger: silentLogger,
    time: clock,
    leaseLost: () => (lost += 1),
  });
  t.after(() => lifecycle.close());
  lifecycle.start();
  await lifecycle.waitUntilUnfenced();
  // The heartbeat at 0 ms was acknowledged; the next one, at 100 ms, never gets an answer.
  hang = true;
  await until(() => clock.pendingTimers === 2, 'the lease timer and the wait for the next heartbeat are set');
  clock.advance(100);
  await until(() => heartbeats === 2, 'the next heartbeat is sent');
  clock.advance(sessionTimeoutMs - 100 - 1);
  assert.equal(lifecycle.hasLease(), true, 'held until a session timeout after the last acknowledged send');
  assert.equal(lost, 0);
  clock.advance(1);
  assert.equal(lifecycle.hasLease(), false);
  assert.equal(lost, 1, 'told once, at the lapse');
});
