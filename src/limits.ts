/**
 * Every fixed limit of kb, in one place: what bounds the memory, the work
 * and the counts that clients, peers and the data on disk can drive. Units
 * come last in the names (`segmentBytesMax`, `newMemberJoinTimeoutMs`).
 * Limits an operator sets are broker or topic configs with Kafka's names
 * (broker/config.ts, storage/log-config.ts); the bounds of the wire's
 * integer types are in protocol/wire-limits.ts. Constants only: no logic.
 */

// ---- wire and connections ----

/** Bytes one record set may decompress to. */
export const decompressedBytesMax = 64 * 1024 * 1024;
/**
 * A produced batch may decompress to at most this many times its topic's
 * max.message.bytes (and never past decompressedBytesMax): 64 MiB for the
 * default 1 MiB, less where an operator lowered max.message.bytes.
 */
export const decompressionRatioMax = 64;
/**
 * zlib streams (gzip, zstd) decompressing at once in the process; more wait
 * their turn. Each may hold a window as large as its frame declares (zstd:
 * up to 128 MiB, touched as far as it decodes): 16 walks at once of a 64 MiB
 * bomb with a 64 MiB window took 1 GiB. Four keep libuv's four threads busy.
 */
export const decompressionStreamsMax = 4;
/**
 * Uncompressed bytes of inner messages one compressed wrapper holds when a
 * Fetch v0-3 converts a compressed batch (Kafka writes one wrapper per batch,
 * which holds a whole decompressed batch in memory twice over).
 */
export const downConvertWrapperBytesMax = 1024 * 1024;
/** Produce requests of one connection in flight at once (a librdkafka producer sends many back to back). */
export const producePipelineMax = 16;
/**
 * Bytes of complete frames waiting on one connection before its socket stops
 * being read. Frames waiting behind a full pipeline add memory, not
 * throughput (the kernel's socket buffers hold what follows): an acks=all
 * producer kept ~80 MB of 1 MB frames waiting, more than the pool keeps.
 */
export const connectionQueuedBytesMax = 4 * 1024 * 1024;
/** How long a connection to a peer listener may stay unauthenticated before it is closed. */
export const authenticationTimeoutMs = 10_000;
/** Connections to a peer listener, from addresses not its peers', waiting to authenticate at once (server/listener.ts). */
export const unauthenticatedConnectionsMax = 100;
/** Idle pooled memory kept across all connections (server/buffer-pool.ts). */
export const poolIdleBytesMax = 32 * 1024 * 1024;

// ---- storage ----

/** Largest segment.bytes: positions in the offset index are u32 and Kafka caps segment.bytes at Integer.MAX_VALUE. */
export const segmentBytesMax = 0x7fffffff;
/** Smallest segment.bytes accepted; below it every batch gets a segment of its own anyway. */
export const segmentBytesMin = 128;
/** Offsets within a segment are stored relative to its base as u32; Kafka keeps them within int32. */
export const relativeOffsetMax = 0x7fffffff;
/** Largest offset the storage engine handles (JavaScript numbers stay exact up to here). */
export const offsetMax = Number.MAX_SAFE_INTEGER;
/** Longest timer delay: Node fires a setInterval/setTimeout of more than this after 1 ms instead. */
export const timerDelayMaxMs = 2 ** 31 - 1;
/** Buffers handed to one writev (Linux IOV_MAX is 1024; each append uses two). */
export const writevBuffersMax = 1024;
/** Bytes of appends gathered into one write. */
export const writeGroupBytesMax = 64 * 1024 * 1024;

// ---- topics (controller) ----

/** Characters of a topic name (Kafka's rule). */
export const topicNameLengthMax = 249;
/** Partitions of one topic. */
export const partitionsPerTopicMax = 100_000;

// ---- metadata quorum (Raft) ----

/**
 * The highest quorum epoch a node takes from a message (2^31 - 1 - 2^20).
 * Epochs are int32 on the wire and a node moves to any higher epoch it is
 * told of, so one absurd epoch (a bad or hostile request: nothing
 * authenticates the quorum's APIs) would leave no room for the next
 * election; this leaves room for a million.
 */
export const epochAcceptedMax = 2 ** 31 - 1 - 2 ** 20;
/** Voters of one quorum. */
export const votersMax = 64;
/** Observers (brokers that fetch but do not vote) a leader tracks; the longest silent one is forgotten first. */
export const observersMax = 1_000;
/** Entries one proposal may carry. */
export const proposalEntriesMax = 10_000;
/** Payload bytes of one entry. */
export const entryPayloadBytesMax = 8 * 1024 * 1024;
/** Appended but uncommitted entries a leader holds before it refuses proposals. */
export const uncommittedEntriesMax = 50_000;
/** Bytes of one snapshot. */
export const snapshotBytesMax = 512 * 1024 * 1024;
/** Messages one output may carry before the host must take it. */
export const outputMessagesMax = 100_000;
/** Outputs a leader may have handed out whose persistence it has not been told of. */
export const unpersistedOutputsMax = 10_000;

// ---- consumer groups ----

/**
 * `group.max.groups` (kb's setting) by default: groups one coordinator holds;
 * at the cap a join or commit that would create one more evicts expired Empty
 * groups, else gets COORDINATOR_NOT_AVAILABLE.
 */
export const groupsMaxDefault = 100_000;
/** Kafka leaves `group.max.size` unlimited; kb caps it (its default) at a size no real group reaches. */
export const groupMembersMaxDefault = 10_000;
/**
 * A member that joined with a fresh id cannot heartbeat until its first join
 * phase completes; its JoinGroup is dropped after this long (Kafka's
 * NewMemberJoinTimeoutMs) so defunct joiners cannot stall a rebalance forever.
 */
export const newMemberJoinTimeoutMs = 5 * 60_000;

// ---- users and authentication ----

/** Failed authentications one address may have in a row (server/auth-failures.ts); then its attempts are refused unread... */
export const authFailuresBurst = 10;
/** ...until its budget refills at this many failures a second. */
export const authFailuresPerSecond = 1;
/** Addresses whose failed authentications are remembered at once (the least recent is forgotten first). */
export const authFailureAddressesMax = 10_000;
/** Bytes of one SASL message a client sends while authenticating (PLAIN: name and password; SCRAM: its first or final message). */
export const saslMessageBytesMax = 1024;
/** Characters of a user name (SCRAM credentials; Kafka sets none, a name is a metadata key). */
export const userNameLengthMax = 256;
/** SCRAM credentials (user and mechanism pairs) the cluster holds: each is a metadata record every node keeps. */
export const scramCredentialsMax = 100_000;
/** Bytes of a SCRAM credential's salt (kb makes 32; Kafka's tools fewer). */
export const scramSaltBytesMax = 128;

// ---- client quotas ----

/** Entities (user, client id, or both) with client quotas the cluster holds: each is metadata every node keeps. */
export const clientQuotaEntitiesMax = 100_000;
/** Characters of a client id in a quota entity (a user's name: userNameLengthMax). */
export const clientIdLengthMax = 1024;
/** Quota buckets a broker measures at once per quota key: beyond, idle ones are swept first. */
export const quotaBucketsSweepAt = 4096;

// ---- ACLs ----

/** ACLs the cluster holds: each is a metadata record every node keeps and the authorizer indexes. */
export const aclsMax = 100_000;
/** Characters of an ACL's resource name, principal or host (Kafka sets none; each is kept on every node). */
export const aclFieldLengthMax = 1024;

// ---- transactions ----

/**
 * How long a transaction marker's append (WriteTxnMarkers) waits for the
 * in-sync replicas before answering REQUEST_TIMED_OUT (Kafka waits
 * request.timeout.ms, 30 s); the coordinator retries it.
 */
export const txnMarkerReplicationTimeoutMs = 30_000;
