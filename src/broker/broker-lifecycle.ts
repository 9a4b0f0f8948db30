/**
 * The broker's side of its lifecycle with the active controller, over the
 * controller channel: register (BrokerRegistration, retried with backoff
 * until accepted; again whenever a heartbeat says the epoch is stale), then
 * heartbeat (BrokerHeartbeat) right away and every
 * broker.heartbeat.interval.ms with the metadata offset this node has
 * applied, so the controller keeps the session alive and unfences the
 * broker once it has caught up (`waitUntilUnfenced`). `shutdown` is the
 * controlled shutdown: heartbeats with wantShutDown, quickly, until the
 * controller answers shouldShutDown (leadership moved away) or the time
 * bound passes.
 *
 * The lease (`hasLease`): the controller fences a broker whose heartbeats
 * stop for broker.session.timeout.ms and moves its leaderships away, so a
 * broker may act as a leader only while its last acknowledged registration
 * or heartbeat was SENT less than that long ago on the monotonic clock
 * (sent, not answered: the controller heard it no earlier). A broker that
 * finds its lease lapsed (paused, cut off, its event loop stalled) registers
 * again, as a restarted broker does: the registration moves whatever it
 * still leads away, and it is unfenced only once it has applied the
 * metadata log up to that registration, so it never acts on what it
 * believed before the lapse. `leaseLost` is told at once when the lease
 * lapses (a timer, not the next heartbeat's timeout) or is given up (a
 * stale epoch), so the broker can answer what waits on its leaderships.
 */
import { randomBytes } from 'node:crypto';
import type { Time, TimerHandle } from '../clock.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import type { Endpoint } from '../metadata/records.ts';
import { securityProtocolId } from './server/listeners-config.ts';
import { defaultBrokerRegistrationRequest, type BrokerRegistrationRequest } from '../protocol/generated/broker-registration-request.ts';
import type { BrokerHeartbeatRequest } from '../protocol/generated/broker-heartbeat-request.ts';
import { ApiKeys, type ApiKey, type RequestOf, type ResponseOf } from '../protocol/generated/api-keys.ts';
import type { ControllerChannel } from './controller-channel.ts';
import type { Logger } from '../logger.ts';

const registrationVersion = 4;
const heartbeatVersion = 1;
const registrationBackoffMinMs = 100;
const registrationBackoffMaxMs = 5_000;
/** Heartbeat pace during a controlled shutdown, so the broker stops soon after its leaderships moved. */
const shutdownHeartbeatMs = 100;

export interface BrokerLifecycleOptions {
  nodeId: number;
  channel: Pick<ControllerChannel, 'request'>;
  /** What the registration announces, asked at each (re-)registration. */
  registration: () => { endpoints: Endpoint[]; rack: string | null; clusterId: string };
  /** Offset of the last metadata entry this node has applied. */
  metadataOffset: () => number;
  /** broker.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** broker.session.timeout.ms: the lease, and how long one request to the controller may take (longer is pointless). */
  sessionTimeoutMs: number;
  logger: Logger;
  /** The lease runs on its monotonic clock; its timers pace heartbeats and end the lease. */
  time: Time;
  /** Told when the lease lapses or is given up (hasLease() is false by then). */
  leaseLost?: () => void;
}

export class BrokerLifecycle {
  private readonly options: BrokerLifecycleOptions;
  private readonly incarnationId = randomBytes(16);
  /** The current registration's epoch, -1 while unregistered. */
  private epoch = -1;
  private fenced = true;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wantShutDown = false;
  private shouldShutDown = false;
  private wake: (() => void) | null = null;
  private readonly unfencedWaiters: (() => void)[] = [];
  private lastProblem = '';
  /** When the last acknowledged registration or heartbeat was sent (monotonic ms); null: no lease. */
  private leaseFrom: number | null = null;
  /** Fires when the lease lapses. */
  private leaseTimer: TimerHandle = null;

  constructor(options: BrokerLifecycleOptions) {
    this.options = options;
  }

  /** The broker epoch of the current registration, -1 while unregistered. */
  get brokerEpoch(): number {
    return this.epoch;
  }

  /** Whether the controller has acknowledged this broker's registration or a heartbeat sent less than a session timeout ago. */
  hasLease(): boolean {
    return this.epoch >= 0 && this.leaseFrom !== null && this.options.time.monotonicMs() - this.leaseFrom < this.options.sessionTimeoutMs;
  }

  /** Starts registering and heartbeating in the background. */
  start(): void {
    this.running ??= this.run();
  }

  /** Resolves once a heartbeat answer says this broker is unfenced. */
  waitUntilUnfenced(): Promise<void> {
    if (!this.fenced) return Promise.resolve();
    return new Promise((resolve) => this.unfencedWaiters.push(resolve));
  }

  /** Controlled shutdown, at most `timeoutMs`; then heartbeats stop. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.running && this.epoch >= 0 && !this.stopped) {
      this.wantShutDown = true;
      this.wake?.();
      let timer: TimerHandle = null;
      const timedOut = new Promise<void>((resolve) => (timer = this.options.time.setTimeout(resolve, timeoutMs, { background: true })));
      await Promise.race([this.running, timedOut]);
      this.options.time.clear(timer);
      if (!this.shouldShutDown) this.options.logger.warn(`controlled shutdown did not complete within ${timeoutMs} ms; stopping anyway`);
    }
    this.close();
  }

  /** Stops heartbeating at once (no controlled shutdown). */
  close(): void {
    this.stopped = true;
    this.options.time.clear(this.leaseTimer);
    this.wake?.();
  }

  /** Holds the lease from `sentAt` (monotonic ms) until a session timeout later. */
  private holdLease(sentAt: number): void {
    const { time, sessionTimeoutMs } = this.options;
    time.clear(this.leaseTimer);
    this.leaseFrom = sentAt;
    this.leaseTimer = time.setTimeout(() => this.leaseTimedOut(), sentAt + sessionTimeoutMs - time.monotonicMs(), { background: true });
  }

  /** Ends the lease (lapsed or given up) and tells `leaseLost`, once per lease. */
  private endLease(): void {
    this.options.time.clear(this.leaseTimer);
    this.leaseTimer = null;
    if (this.leaseFrom === null) return;
    this.leaseFrom = null;
    this.options.leaseLost?.();
  }

  private leaseTimedOut(): void {
    this.leaseTimer = null;
    if (this.stopped || this.leaseFrom === null) return;
    if (this.hasLease()) return this.holdLease(this.leaseFrom); // fired a little early
    this.lapsed();
  }

  private lapsed(): void {
    this.problem(`no heartbeat acknowledged by the controller for ${this.options.sessionTimeoutMs} ms (broker.session.timeout.ms): leading nothing until registered again and caught up`);
    this.endLease();
  }

  private async run(): Promise<void> {
    let backoffMs = registrationBackoffMinMs;
    while (!this.stopped && !this.shouldShutDown) {
      if (this.epoch < 0) {
        if (await this.register()) {
          backoffMs = registrationBackoffMinMs;
          continue;
        }
        await this.sleep(backoffMs);
        backoffMs = Math.min(registrationBackoffMaxMs, backoffMs * 2);
        continue;
      }
      if (!this.hasLease() && !this.wantShutDown) {
        if (this.leaseFrom !== null) this.lapsed(); // else its timer has said so
        this.epoch = -1;
        continue;
      }
      await this.heartbeat();
      if (!this.shouldShutDown) await this.sleep(this.wantShutDown ? shutdownHeartbeatMs : this.options.heartbeatIntervalMs);
    }
  }

  private async register(): Promise<boolean> {
    const { endpoints, rack, clusterId } = this.options.registration();
    const request: BrokerRegistrationRequest = {
      ...defaultBrokerRegistrationRequest(),
      brokerId: this.options.nodeId,
      clusterId,
      incarnationId: this.incarnationId,
      listeners: endpoints.map((e) => ({ name: e.name, host: e.host, port: e.port, securityProtocol: securityProtocolId(e.securityProtocol) })),
      rack,
    };
    const sentAt = this.options.time.monotonicMs();
    const response = await this.send(ApiKeys.BrokerRegistration, registrationVersion, request);
    if (!response) return false;
    if (response.errorCode !== ErrorCode.NONE) {
      this.problem(`broker registration refused: ${errorName(response.errorCode)}; retrying`);
      return false;
    }
    this.epoch = Number(response.brokerEpoch);
    this.fenced = true;
    this.holdLease(sentAt);
    return true;
  }

  private async heartbeat(): Promise<void> {
    const request: BrokerHeartbeatRequest = {
      brokerId: this.options.nodeId,
      brokerEpoch: BigInt(this.epoch),
      currentMetadataOffset: BigInt(this.options.metadataOffset()),
      wantFence: false,
      wantShutDown: this.wantShutDown,
      offlineLogDirs: [],
    };
    const sentAt = this.options.time.monotonicMs();
    const response = await this.send(ApiKeys.BrokerHeartbeat, heartbeatVersion, request);
    if (!response) return;
    if (response.errorCode === ErrorCode.STALE_BROKER_EPOCH) {
      this.problem(`broker epoch ${this.epoch} is no longer current; registering again`);
      this.epoch = -1;
      this.endLease();
      return;
    }
    if (response.errorCode !== ErrorCode.NONE) {
      this.problem(`broker heartbeat refused: ${errorName(response.errorCode)}`);
      return;
    }
    this.lastProblem = '';
    this.holdLease(sentAt);
    this.fenced = response.isFenced;
    this.shouldShutDown = this.wantShutDown && response.shouldShutDown;
    if (!this.fenced) for (const resolve of this.unfencedWaiters.splice(0)) resolve();
  }

  private async send<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestOf<K>): Promise<ResponseOf<K> | null> {
    try {
      return await this.options.channel.request(apiKey, apiVersion, body, this.options.sessionTimeoutMs);
    } catch (err) {
      this.problem(`cannot reach the controller: ${(err as Error).message}`);
      return null;
    }
  }

  /** Logs a problem once until it changes or a heartbeat succeeds. */
  private problem(message: string): void {
    if (message !== this.lastProblem) this.options.logger.warn(message);
    this.lastProblem = message;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const { time } = this.options;
    return new Promise((resolve) => {
      const timer = time.setTimeout(done, ms);
      function done() {
        time.clear(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
