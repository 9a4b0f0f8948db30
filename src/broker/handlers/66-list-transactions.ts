/**
 * ListTransactions (key 66), v0-1 (KIP-664): the transactional ids this
 * broker coordinates (txn/coordinator.ts `list`), filtered by state names
 * (unknown ones are listed back in unknown_state_filters), producer ids and
 * (v1) the least time a transaction has been open. Lists only the ids the
 * principal may Describe, as Kafka.
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import type { ListTransactionsRequest } from '../../protocol/generated/list-transactions-request.ts';
import type { ListTransactionsResponse } from '../../protocol/generated/list-transactions-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

const durationFilterVersion = 1;

export default defineHandler<ListTransactionsRequest, ListTransactionsResponse>({
  apiKey: ApiKeys.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    const minDurationMs = ctx.apiVersion >= durationFilterVersion ? Number(request.durationFilter) : -1;
    const listed = ctx.services.txns.list(request.stateFilters, request.producerIdFilters, minDurationMs);
    return {
      throttleTimeMs: 0,
      errorCode: listed.errorCode,
      unknownStateFilters: listed.unknownStates,
      transactionStates: listed.transactions
        .filter((t) => ctx.access.mayList(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId))
        .map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state })),
    };
  },
});
