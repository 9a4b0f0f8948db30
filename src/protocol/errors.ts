/**
 * Kafka's protocol error codes (-1..120): name as Kafka spells it, whether a
 * client may retry the request unchanged (Kafka's RetriableException
 * family), and a short message for error_message fields and logs.
 *
 * `ErrorCode.UNKNOWN_TOPIC_OR_PARTITION` (= 3) and friends are the named
 * constants; `errorName`, `isRetriable` and `errorMessage` look a code up.
 * Codes missing from the table are treated as Kafka clients treat them: not
 * retriable, named UNKNOWN_ERROR_CODE_<n>.
 */

type Entry = readonly [code: number, retriable: boolean, message: string];

const table = {
  UNKNOWN_SERVER_ERROR: [-1, false, 'The server hit an unexpected error while handling the request.'],
  NONE: [0, false, ''],
  OFFSET_OUT_OF_RANGE: [1, false, 'The offset is outside the range the partition holds.'],
  CORRUPT_MESSAGE: [2, true, 'A record failed its CRC, has an invalid size, or is otherwise corrupt.'],
  UNKNOWN_TOPIC_OR_PARTITION: [3, true, 'This server does not host this topic-partition.'],
  INVALID_FETCH_SIZE: [4, false, 'The fetch size is invalid.'],
  LEADER_NOT_AVAILABLE: [5, true, 'The partition has no leader right now (an election is in progress).'],
  NOT_LEADER_OR_FOLLOWER: [6, true, 'This broker is not the leader (or not a replica) of the partition.'],
  REQUEST_TIMED_OUT: [7, true, 'The request timed out.'],
  BROKER_NOT_AVAILABLE: [8, false, 'The broker is not available.'],
  REPLICA_NOT_AVAILABLE: [9, true, 'The replica is not available for this partition.'],
  MESSAGE_TOO_LARGE: [10, false, 'A record batch is larger than the broker accepts.'],
  STALE_CONTROLLER_EPOCH: [11, false, 'The controller moved to another broker.'],
  OFFSET_METADATA_TOO_LARGE: [12, false, 'The offset commit metadata is too large.'],
  NETWORK_EXCEPTION: [13, true, 'The connection closed before a response arrived.'],
  COORDINATOR_LOAD_IN_PROGRESS: [14, true, 'The coordinator is still loading its state.'],
  COORDINATOR_NOT_AVAILABLE: [15, true, 'The coordinator is not available.'],
  NOT_COORDINATOR: [16, true, 'This broker is not the coordinator for that key.'],
  INVALID_TOPIC_EXCEPTION: [17, false, 'The topic name is invalid or the operation is not allowed on it.'],
  RECORD_LIST_TOO_LARGE: [18, false, 'The record batches are larger than the segment size.'],
  NOT_ENOUGH_REPLICAS: [19, true, 'Fewer replicas are in sync than min.insync.replicas requires.'],
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: [20, true, 'Records were written, but to fewer in-sync replicas than required.'],
  INVALID_REQUIRED_ACKS: [21, false, 'The acks value is invalid.'],
  ILLEGAL_GENERATION: [22, false, 'The group generation id is not current.'],
  INCONSISTENT_GROUP_PROTOCOL: [23, false, "The member's protocols do not match the group's."],
  INVALID_GROUP_ID: [24, false, 'The group id is invalid.'],
  UNKNOWN_MEMBER_ID: [25, false, 'The coordinator does not know this member.'],
  INVALID_SESSION_TIMEOUT: [26, false, 'The session timeout is outside the range the broker allows.'],
  REBALANCE_IN_PROGRESS: [27, false, 'The group is rebalancing; rejoin it.'],
  INVALID_COMMIT_OFFSET_SIZE: [28, false, 'The committed offset data has an invalid size.'],
  TOPIC_AUTHORIZATION_FAILED: [29, false, 'Not authorized to access the topic.'],
  GROUP_AUTHORIZATION_FAILED: [30, false, 'Not authorized to access the group.'],
  CLUSTER_AUTHORIZATION_FAILED: [31, false, 'Not authorized for this cluster operation.'],
  INVALID_TIMESTAMP: [32, false, 'A record timestamp is outside the accepted range.'],
  UNSUPPORTED_SASL_MECHANISM: [33, false, 'The broker does not support this SASL mechanism.'],
  ILLEGAL_SASL_STATE: [34, false, 'The request is not valid in the current SASL state.'],
  UNSUPPORTED_VERSION: [35, false, 'The broker does not support this API version.'],
  TOPIC_ALREADY_EXISTS: [36, false, 'A topic with this name already exists.'],
  INVALID_PARTITIONS: [37, false, 'The number of partitions is invalid.'],
  INVALID_REPLICATION_FACTOR: [38, false, 'The replication factor is invalid.'],
  INVALID_REPLICA_ASSIGNMENT: [39, false, 'The replica assignment is invalid.'],
  INVALID_CONFIG: [40, false, 'The configuration is invalid.'],
  NOT_CONTROLLER: [41, true, 'This broker is not the active controller.'],
  INVALID_REQUEST: [42, false, 'The request is malformed or not valid for this broker.'],
  UNSUPPORTED_FOR_MESSAGE_FORMAT: [43, false, "The request is not supported by the log's message format."],
  POLICY_VIOLATION: [44, false, 'The request violates a configured policy.'],
  OUT_OF_ORDER_SEQUENCE_NUMBER: [45, false, 'The producer sequence number is out of order.'],
  DUPLICATE_SEQUENCE_NUMBER: [46, false, 'The producer sequence number is a duplicate.'],
  INVALID_PRODUCER_EPOCH: [47, false, 'The producer epoch is stale.'],
  INVALID_TXN_STATE: [48, false, 'The transactional operation is invalid in the current state.'],
  INVALID_PRODUCER_ID_MAPPING: [49, false, 'The producer id is not assigned to this transactional id.'],
  INVALID_TRANSACTION_TIMEOUT: [50, false, 'The transaction timeout exceeds transaction.max.timeout.ms.'],
  CONCURRENT_TRANSACTIONS: [51, true, 'Another operation on this transaction is still in progress.'],
  TRANSACTION_COORDINATOR_FENCED: [52, false, 'The transaction coordinator has been replaced.'],
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: [53, false, 'Not authorized to use the transactional id.'],
  SECURITY_DISABLED: [54, false, 'Security features are disabled.'],
  OPERATION_NOT_ATTEMPTED: [55, false, 'The broker did not attempt this operation because another in the batch failed.'],
  KAFKA_STORAGE_ERROR: [56, true, 'A disk error occurred while accessing the log.'],
  LOG_DIR_NOT_FOUND: [57, false, 'The log directory is not in the broker configuration.'],
  SASL_AUTHENTICATION_FAILED: [58, false, 'SASL authentication failed.'],
  UNKNOWN_PRODUCER_ID: [59, false, 'The broker has no state for this producer id.'],
  REASSIGNMENT_IN_PROGRESS: [60, false, 'A partition reassignment is in progress.'],
  DELEGATION_TOKEN_AUTH_DISABLED: [61, false, 'Delegation tokens are disabled.'],
  DELEGATION_TOKEN_NOT_FOUND: [62, false, 'The delegation token was not found.'],
  DELEGATION_TOKEN_OWNER_MISMATCH: [63, false, 'The principal is not the owner or renewer of the token.'],
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: [64, false, 'Delegation token requests are not allowed on this channel.'],
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: [65, false, 'Delegation token authorization failed.'],
  DELEGATION_TOKEN_EXPIRED: [66, false, 'The delegation token has expired.'],
  INVALID_PRINCIPAL_TYPE: [67, false, 'The principal type is not supported.'],
  NON_EMPTY_GROUP: [68, false, 'The group is not empty.'],
  GROUP_ID_NOT_FOUND: [69, false, 'The group id does not exist.'],
  FETCH_SESSION_ID_NOT_FOUND: [70, true, 'The fetch session id was not found.'],
  INVALID_FETCH_SESSION_EPOCH: [71, true, 'The fetch session epoch is invalid.'],
  LISTENER_NOT_FOUND: [72, true, 'The leader has no listener matching the one this request used.'],
  TOPIC_DELETION_DISABLED: [73, false, 'Topic deletion is disabled.'],
  FENCED_LEADER_EPOCH: [74, true, "The request's leader epoch is older than the broker's."],
  UNKNOWN_LEADER_EPOCH: [75, true, "The request's leader epoch is newer than the broker's."],
  UNSUPPORTED_COMPRESSION_TYPE: [76, false, "The client does not support the partition's compression type."],
  STALE_BROKER_EPOCH: [77, false, 'The broker epoch has changed.'],
  OFFSET_NOT_AVAILABLE: [78, true, 'The new leader has not caught up its high watermark yet.'],
  MEMBER_ID_REQUIRED: [79, false, 'The member must rejoin with the member id it was given.'],
  PREFERRED_LEADER_NOT_AVAILABLE: [80, true, 'The preferred leader is not available.'],
  GROUP_MAX_SIZE_REACHED: [81, false, 'The group has reached its maximum size.'],
  FENCED_INSTANCE_ID: [82, false, 'Another member registered with the same group.instance.id.'],
  ELIGIBLE_LEADERS_NOT_AVAILABLE: [83, true, 'No eligible leader is available for the partition.'],
  ELECTION_NOT_NEEDED: [84, true, 'The partition already has the leader the election would choose.'],
  NO_REASSIGNMENT_IN_PROGRESS: [85, false, 'No partition reassignment is in progress.'],
  GROUP_SUBSCRIBED_TO_TOPIC: [86, false, 'The group is subscribed to the topic whose offsets are being deleted.'],
  INVALID_RECORD: [87, false, 'A record failed validation on the broker.'],
  UNSTABLE_OFFSET_COMMIT: [88, true, 'There are pending transactional offsets for the partition.'],
  THROTTLING_QUOTA_EXCEEDED: [89, true, 'The throttling quota has been exceeded.'],
  PRODUCER_FENCED: [90, false, 'A newer producer with the same transactional id fenced this one.'],
  RESOURCE_NOT_FOUND: [91, false, 'The request refers to a resource that does not exist.'],
  DUPLICATE_RESOURCE: [92, false, 'The request refers to the same resource twice.'],
  UNACCEPTABLE_CREDENTIAL: [93, false, 'The credential does not meet the acceptance criteria.'],
  INCONSISTENT_VOTER_SET: [94, false, 'The sender or receiver is not one of the expected voters.'],
  INVALID_UPDATE_VERSION: [95, false, 'The update version is invalid.'],
  FEATURE_UPDATE_FAILED: [96, false, 'The finalized features could not be updated.'],
  PRINCIPAL_DESERIALIZATION_FAILURE: [97, false, 'The forwarded request principal could not be deserialized.'],
  SNAPSHOT_NOT_FOUND: [98, false, 'The snapshot was not found.'],
  POSITION_OUT_OF_RANGE: [99, false, 'The position is outside the snapshot.'],
  UNKNOWN_TOPIC_ID: [100, true, 'This server does not host this topic id.'],
  DUPLICATE_BROKER_REGISTRATION: [101, false, 'This broker id is already registered.'],
  BROKER_ID_NOT_REGISTERED: [102, false, 'The broker id is not registered.'],
  INCONSISTENT_TOPIC_ID: [103, true, "The topic id does not match the log's topic id."],
  INCONSISTENT_CLUSTER_ID: [104, false, "The cluster id does not match this server's."],
  TRANSACTIONAL_ID_NOT_FOUND: [105, false, 'The transactional id was not found.'],
  FETCH_SESSION_TOPIC_ID_ERROR: [106, true, 'The fetch session used topic ids inconsistently.'],
  INELIGIBLE_REPLICA: [107, false, 'The new ISR contains an ineligible replica.'],
  NEW_LEADER_ELECTED: [108, false, 'The partition state was updated but the leader has changed.'],
  OFFSET_MOVED_TO_TIERED_STORAGE: [109, false, 'The offset has moved to tiered storage.'],
  FENCED_MEMBER_EPOCH: [110, false, 'The member epoch is fenced; the member must rejoin.'],
  UNRELEASED_INSTANCE_ID: [111, false, 'Another member still holds this instance id.'],
  UNSUPPORTED_ASSIGNOR: [112, false, 'The group does not support this assignor.'],
  STALE_MEMBER_EPOCH: [113, false, 'The member epoch is stale.'],
  MISMATCHED_ENDPOINT_TYPE: [114, false, 'The request was sent to the wrong type of endpoint.'],
  UNSUPPORTED_ENDPOINT_TYPE: [115, false, 'This endpoint type is not supported.'],
  UNKNOWN_CONTROLLER_ID: [116, false, 'The controller id is not known.'],
  UNKNOWN_SUBSCRIPTION_ID: [117, false, 'The telemetry subscription id is unknown or outdated.'],
  TELEMETRY_TOO_LARGE: [118, false, 'The telemetry push is larger than the broker accepts.'],
  INVALID_REGISTRATION: [119, false, 'The controller considers the broker registration invalid.'],
  TRANSACTION_ABORTABLE: [120, false, 'The transaction hit an error; abort it to continue.'],
} as const satisfies Record<string, Entry>;

type ErrorName = keyof typeof table;

export interface ErrorInfo {
  code: number;
  name: string;
  retriable: boolean;
  message: string;
}

export const ErrorCode = Object.fromEntries(
  Object.entries(table).map(([name, [code]]) => [name, code]),
) as { readonly [N in ErrorName]: (typeof table)[N][0] };

const byCode = new Map<number, ErrorInfo>(
  Object.entries(table).map(([name, [code, retriable, message]]) => [code, { code, name, retriable, message }]),
);

export function errorInfo(code: number): ErrorInfo | undefined {
  return byCode.get(code);
}

export function errorName(code: number): string {
  return byCode.get(code)?.name ?? `UNKNOWN_ERROR_CODE_${code}`;
}

export function isRetriable(code: number): boolean {
  return byCode.get(code)?.retriable ?? false;
}

export function errorMessage(code: number): string {
  return byCode.get(code)?.message ?? `Unknown error code ${code}.`;
}
