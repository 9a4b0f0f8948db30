/**
 * PRODUCER_FENCED for the versions of a transactional API that know it
 * (from `since`), INVALID_PRODUCER_EPOCH for older ones, as Kafka answers.
 */
import { ErrorCode } from '../../protocol/errors.ts';

export function fencedError(errorCode: number, apiVersion: number, since: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && apiVersion < since ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}
