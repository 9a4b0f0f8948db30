/**
 * Requests to the coordinator of a key (FindCoordinator): a consumer
 * group's (key type 0) or a transactional id's (key type 1). When the
 * answer says the coordinator moved or is not ready yet (NOT_COORDINATOR,
 * COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS) it is asked
 * again, at most `coordinatorAttemptsMax` times, `coordinatorRetryBackoffMs`
 * apart. Other Kafka errors throw ClientError.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import { check } from './admin.ts';
import type { Cluster } from './cluster.ts';
import { ClientError, type BrokerConnection } from '../net/connection.ts';

const findCoordinatorVersion = 3;
const coordinatorAttemptsMax = 10;
const coordinatorRetryBackoffMs = 200;
const retriableCoordinatorErrors: ReadonlySet<number> = new Set([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

export const coordinatorKinds = {
  group: { keyType: 0, noun: 'group' },
  transaction: { keyType: 1, noun: 'transactional id' },
} as const;
export type CoordinatorKind = (typeof coordinatorKinds)[keyof typeof coordinatorKinds];

export class CoordinatorRequests {
  private readonly cluster: Cluster;
  private readonly kind: CoordinatorKind;

  constructor(cluster: Cluster, kind: CoordinatorKind) {
    this.cluster = cluster;
    this.kind = kind;
  }

  /**
   * Runs `request` against the key's coordinator until its answer's
   * `errorCode` is not a coordinator error to retry; throws on any other
   * error, naming `what` is being done.
   */
  async withCoordinator<T extends { errorCode: number }>(key: string, what: string, request: (connection: BrokerConnection) => Promise<T>): Promise<T> {
    const answer = await this.retrying(async () => {
      const coordinator = await this.findCoordinator(key);
      return typeof coordinator === 'number' ? { errorCode: coordinator } : request(coordinator);
    });
    const subject = `${what} ${this.kind.noun} '${key}'`;
    if (retriableCoordinatorErrors.has(answer.errorCode)) {
      throw new ClientError(`${subject}: its coordinator is not available (${errorName(answer.errorCode)}); is the broker still starting?`, { cause: answer.errorCode });
    }
    check(answer.errorCode, null, subject);
    return answer as T; // not a FindCoordinator error (those are retriable): the request's answer
  }

  /** Runs `attempt` until its answer is not a coordinator error to retry, at most `coordinatorAttemptsMax` times; the last answer. */
  async retrying<T extends { errorCode: number }>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      const answer = await attempt();
      if (!retriableCoordinatorErrors.has(answer.errorCode) || n === coordinatorAttemptsMax) return answer;
      await sleep(coordinatorRetryBackoffMs);
    }
  }

  /** The coordinator's connection, or the retriable error FindCoordinator answered. */
  private async findCoordinator(key: string): Promise<BrokerConnection | number> {
    const connection = await this.cluster.anyBroker();
    const response = await connection.request(ApiKeys.FindCoordinator, findCoordinatorVersion, { key, keyType: this.kind.keyType, coordinatorKeys: [] });
    if (retriableCoordinatorErrors.has(response.errorCode)) return response.errorCode;
    check(response.errorCode, response.errorMessage, `finding the coordinator of ${this.kind.noun} '${key}'`);
    return this.cluster.connection(response.host, response.port);
  }
}
