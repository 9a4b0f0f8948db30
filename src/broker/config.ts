/**
 * Broker configuration with Kafka's property names and defaults.
 *
 * Sources, later wins: the defaults below, a Kafka-style `key=value`
 * properties file (`--config FILE`; `#`/`!` comments), then `--set key=value`
 * flags. A known key with a value of the wrong type is an error naming the
 * key. What `load` reads must be a known key, one of Kafka's broker
 * settings that give topics their defaults (`kafkaTopicDefaultKeys`: kept,
 * so a Kafka server.properties' `log.retention.hours` and the like pass
 * through; topic-configs.ts uses those it knows), a listener's SSL setting
 * (`listenerTlsKeys`), or a per-listener setting (`listener.name.<name>.*`);
 * anything else is a ConfigError naming the key
 * and the closest known one ("did you mean num.partitions?"), so a typo does
 * not start a broker with a default silently in its place. `describe()`
 * lists every known key for DescribeConfigs.
 * `cluster.secret` is refused as a setting (cluster-secret.ts: never argv).
 */
import { readFile } from 'node:fs/promises';
import { closestName } from '../closest-name.ts';
import { storageTuning } from '../storage/log-config.ts';
import { int32Max, int64Max } from '../protocol/wire-limits.ts';

export type ConfigType = 'int' | 'long' | 'boolean' | 'string' | 'double';

export interface ConfigDefinition {
  type: ConfigType;
  default: string;
  doc: string;
}

const mib = 1024 * 1024;

/** Every broker setting kb reads, with Kafka's default. */
export const brokerConfigDefinitions = {
  'node.id': { type: 'int', default: '1', doc: 'this node id' },
  listeners: { type: 'string', default: '', doc: 'NAME://HOST:PORT,... to listen on (default: CLIENT from --listen, PEER from this node\'s --voters entry or --peer-listen)' },
  'advertised.listeners': { type: 'string', default: '', doc: 'NAME://HOST:PORT,... other nodes and clients are told per listener (default: each listener\'s address)' },
  'listener.security.protocol.map': { type: 'string', default: 'CLIENT:PLAINTEXT,PEER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', doc: 'NAME:PROTOCOL for every listener (PLAINTEXT and SSL are served; SASL_* not yet)' },
  'inter.broker.listener.name': { type: 'string', default: 'PEER', doc: 'the listener brokers replicate and register over (a peer listener: peer APIs only there)' },
  'controller.listener.names': { type: 'string', default: 'PEER', doc: 'the listeners the controller quorum speaks over (peer listeners)' },
  'broker.rack': { type: 'string', default: '', doc: 'rack of this broker' },
  'broker.session.timeout.ms': { type: 'int', default: '9000', doc: 'a broker without a heartbeat for this long is fenced by the controller' },
  'broker.heartbeat.interval.ms': { type: 'int', default: '2000', doc: 'how often a broker heartbeats to the controller' },
  'controller.quorum.election.timeout.ms': { type: 'int', default: '1000', doc: 'a voter without a quorum leader stands for election after a random wait of 1-2x this' },
  'controller.quorum.fetch.timeout.ms': { type: 'int', default: '2000', doc: 'a voter that has not heard from the quorum leader this long stands for election' },
  'metadata.log.max.entries.between.snapshots': { type: 'int', default: '10000', doc: 'committed metadata entries after which a snapshot of the metadata image replaces them (kb\'s analogue of metadata.log.max.record.bytes.between.snapshots)' },
  'leader.replication.throttled.rate': { type: 'long', default: '9223372036854775807', doc: 'bytes/s a leader sends to replicas being added by a reassignment (dynamic: kb config set, or kb partitions reassign --throttle)' },
  'follower.replication.throttled.rate': { type: 'long', default: '9223372036854775807', doc: 'bytes/s a replica being added by a reassignment fetches (dynamic: kb config set, or kb partitions reassign --throttle)' },
  'socket.request.max.bytes': { type: 'int', default: String(100 * mib), doc: 'largest request frame accepted' },
  'connections.max.idle.ms': { type: 'long', default: '600000', doc: 'idle connections are closed after this' },
  'sasl.enabled.mechanisms': { type: 'string', default: 'SCRAM-SHA-512,SCRAM-SHA-256', doc: 'the SASL mechanisms SASL listeners offer: SCRAM-SHA-512, SCRAM-SHA-256, PLAIN (per listener: listener.name.<name>.sasl.enabled.mechanisms)' },
  'connections.max.reauth.ms': { type: 'long', default: '0', doc: 'on SASL listeners: how long a login lasts before the client must re-authenticate on its connection (KIP-368); 0: for ever (per listener: listener.name.<name>.connections.max.reauth.ms)' },
  'max.connections': { type: 'int', default: '10000', doc: 'open client connections at most' },
  'max.connections.per.ip': { type: 'int', default: '1000', doc: 'open connections from one address at most (Kafka: unbounded); the other voters\' and registered brokers\' addresses are exempt, from max.connections too' },
  'max.connections.per.ip.overrides': { type: 'string', default: '', doc: 'per-address exceptions to max.connections.per.ip: ip:count,ip:count' },
  'max.connection.creation.rate': { type: 'int', default: '2147483647', doc: 'new connections per second at most; more are refused (peers exempt)' },
  'queued.max.requests': { type: 'int', default: '500', doc: 'complete requests queued per connection before reading pauses' },
  'queued.max.request.bytes': { type: 'long', default: String(512 * mib), doc: 'request bytes held (being read, queued or handled) on all connections before reading pauses; -1 = unbounded (Kafka\'s default)' },
  'peer.authentication': { type: 'string', default: 'cluster-secret', doc: 'how nodes prove they belong to the cluster: cluster-secret (the secret from --cluster-secret-file or KB_CLUSTER_SECRET), or none (anyone who can reach the listener can take over the cluster)' },
  'sasl.server.max.receive.size': { type: 'int', default: '524288', doc: 'until a connection\'s first request is answered, a larger frame must name an API version served (Kafka: the frame bound before authentication)' },
  'authorizer.class.name': { type: 'string', default: '', doc: 'kb.StandardAuthorizer (or Kafka\'s org.apache.kafka.metadata.authorizer.StandardAuthorizer) to authorize every request by the ACLs; empty: no authorization' },
  'super.users': { type: 'string', default: '', doc: 'principals the authorizer lets do anything, separated by ; (User:admin;User:ops)' },
  'allow.everyone.if.no.acl.found': { type: 'boolean', default: 'false', doc: 'whether the authorizer allows anyone to use a resource that has no ACL' },
  'queued.max.response.bytes': { type: 'long', default: String(256 * mib), doc: 'bytes of Fetch responses read from the log and not yet taken by their clients\' sockets, on all connections; past it, consumer fetches wait up to their max_wait_ms and then answer empty (kb\'s limit; Kafka sends fetched data from the file); -1 = unbounded' },
  'fetch.max.bytes': { type: 'int', default: String(55 * mib), doc: 'bytes one Fetch returns at most (caps its max_bytes; at least one batch)' },
  'auto.create.topics.enable': { type: 'boolean', default: 'true', doc: 'create a topic when a client asks for its metadata' },
  'auto.create.topics.max.per.request': { type: 'int', default: '100', doc: 'topics one Metadata request may auto-create at most (kb\'s limit; the rest are created by later requests)' },
  'max.broker.partitions': { type: 'int', default: '4000', doc: 'partition replicas one broker may host at most: creating more is POLICY_VIOLATION (the name KIP-578 proposed)' },
  'controller.mutation.rate': { type: 'double', default: '100', doc: 'partitions per second each client address may create or delete (KIP-599; THROTTLING_QUOTA_EXCEEDED with a throttle time beyond it)' },
  'controller.quota.window.num': { type: 'int', default: '11', doc: 'with controller.quota.window.size.seconds: the burst of controller.mutation.rate a client may use at once (rate x num x size)' },
  'controller.quota.window.size.seconds': { type: 'int', default: '1', doc: 'see controller.quota.window.num' },
  'quota.window.num': { type: 'int', default: '11', doc: 'samples a client quota (producer_byte_rate, consumer_byte_rate, request_percentage) is measured over (Kafka\'s)' },
  'quota.window.size.seconds': { type: 'int', default: '1', doc: 'length of one client quota sample' },
  'num.partitions': { type: 'int', default: '1', doc: 'partitions of an auto-created topic' },
  'default.replication.factor': { type: 'int', default: '1', doc: 'replication factor of an auto-created topic' },
  'message.max.bytes': { type: 'int', default: '1048588', doc: 'largest record batch accepted' },
  'message.max.records': { type: 'int', default: '1000000', doc: 'records one produced batch may hold at most: more is INVALID_RECORD (kb\'s limit; Kafka has none; librdkafka\'s batch.num.messages goes up to 1000000)' },
  'compression.type': { type: 'string', default: 'producer', doc: 'codec topics store batches in by default: producer (as produced), uncompressed, gzip, snappy, lz4 or zstd' },
  'compression.gzip.level': { type: 'int', default: '-1', doc: 'topics\' default compression.gzip.level' },
  'compression.lz4.level': { type: 'int', default: '9', doc: 'topics\' default compression.lz4.level' },
  'compression.zstd.level': { type: 'int', default: '3', doc: 'topics\' default compression.zstd.level' },
  'log.message.timestamp.type': { type: 'string', default: 'CreateTime', doc: 'CreateTime or LogAppendTime' },
  'offsets.topic.num.partitions': { type: 'int', default: '50', doc: 'partitions of __consumer_offsets' },
  'offsets.topic.replication.factor': { type: 'int', default: '3', doc: 'replication factor of __consumer_offsets (capped at the live brokers)' },
  'offsets.retention.minutes': { type: 'int', default: '10080', doc: 'committed offsets of empty groups expire after this' },
  'offsets.retention.check.interval.ms': { type: 'long', default: '600000', doc: 'how often expired committed offsets are removed' },
  'offset.metadata.max.bytes': { type: 'int', default: '4096', doc: 'largest metadata string an offset commit may carry' },
  'transaction.state.log.num.partitions': { type: 'int', default: '50', doc: 'partitions of __transaction_state' },
  'transaction.state.log.replication.factor': { type: 'int', default: '3', doc: 'replication factor of __transaction_state (capped at the live brokers)' },
  'transaction.max.timeout.ms': { type: 'int', default: '900000', doc: 'largest transaction timeout a producer may ask for (more is INVALID_TRANSACTION_TIMEOUT)' },
  'transactional.id.expiration.ms': { type: 'int', default: '604800000', doc: 'a transactional id without a transaction is forgotten after this long unused' },
  'transaction.remove.expired.transaction.cleanup.interval.ms': { type: 'int', default: '3600000', doc: 'how often transactional ids unused for transactional.id.expiration.ms are removed' },
  'transaction.max.transactional.ids': { type: 'int', default: '100000', doc: 'transactional ids one transaction coordinator holds at most (kb\'s limit): beyond it, InitProducerId of a new id is COORDINATOR_NOT_AVAILABLE' },
  'producer.id.expiration.ms': { type: 'int', default: '86400000', doc: 'a partition forgets a producer id (its epoch and sequences) idle this long, unless it has a transaction open there' },
  'producer.id.expiration.check.interval.ms': { type: 'int', default: '600000', doc: 'how often partitions forget producer ids idle for producer.id.expiration.ms' },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': { type: 'int', default: '10000', doc: 'how often transactions open longer than their timeout are aborted' },
  'group.max.size': { type: 'int', default: '10000', doc: 'members one consumer group may have' },
  'group.max.groups': { type: 'int', default: '100000', doc: 'groups one coordinator holds at most (kb\'s limit): at the cap, Empty groups whose offsets expired are evicted first, else a new group is COORDINATOR_NOT_AVAILABLE' },
  'group.initial.rebalance.delay.ms': { type: 'int', default: '3000', doc: 'wait for more members before the first rebalance' },
  'group.min.session.timeout.ms': { type: 'int', default: '6000', doc: 'smallest session timeout a member may ask for' },
  'group.max.session.timeout.ms': { type: 'int', default: '1800000', doc: 'largest session timeout a member may ask for' },
  'replica.lag.time.max.ms': { type: 'long', default: '30000', doc: 'a follower that has not caught up for this long leaves the ISR' },
  'replica.fetch.wait.max.ms': { type: 'int', default: '500', doc: 'longest a follower fetch waits at the leader for data' },
  'replica.fetch.max.bytes': { type: 'int', default: '1048576', doc: 'bytes a follower fetches per partition (at least one batch)' },
  'replica.fetch.response.max.bytes': { type: 'int', default: '10485760', doc: 'bytes a follower fetches per request (at least one batch)' },
  'replica.fetch.backoff.ms': { type: 'int', default: '1000', doc: 'a follower waits this long after a failed fetch' },
  'replica.socket.timeout.ms': { type: 'int', default: '30000', doc: 'a follower gives up a connection whose fetch is unanswered this long past replica.fetch.wait.max.ms' },
  'auto.leader.rebalance.enable': { type: 'boolean', default: 'true', doc: 'the active controller moves leadership back to preferred replicas where a broker is imbalanced' },
  'leader.imbalance.check.interval.seconds': { type: 'int', default: '300', doc: 'how often the active controller checks leader imbalance (at least 1)' },
  'leader.imbalance.per.broker.percentage': { type: 'int', default: '10', doc: 'share of a broker\'s preferred leaderships led elsewhere that triggers rebalancing' },
  'num.recovery.threads.per.data.dir': { type: 'int', default: String(storageTuning.recoveryThreadsDefault), doc: 'partitions opened (and recovered after an unclean stop) in parallel at start, and closed in parallel at stop: opening is a dozen small file operations and a directory fsync per partition, so it waits on I/O, not CPU' },
  'log.recovery.flush.interval.ms': { type: 'long', default: String(storageTuning.recoveryFlushIntervalMsDefault), doc: 'how often each partition with new appends is fsynced in the background and its recovery point checkpointed (kb\'s setting): recovery after kill -9 re-checks only what came after, and a power loss takes at most about this much from an unreplicated partition; <= 0: never (Kafka\'s way: only segment rolls, flush.ms and flush.messages fsync)' },
  'log.segment.open.files.max': { type: 'int', default: '1000', doc: 'sealed log segments whose file stays open while no read uses it, at most (kb\'s limit; Kafka keeps every segment open): the least recently read beyond it are closed and opened again on the next read; active segments always stay open' },
  'log.segment.open.files.idle.ms': { type: 'long', default: '60000', doc: 'a sealed log segment\'s file that no read used for this long is closed (kb\'s setting)' },
} satisfies Record<string, ConfigDefinition>;

export type KnownBrokerKey = keyof typeof brokerConfigDefinitions;

/** Kafka's broker settings that are every topic's default for a topic config (Kafka's ServerTopicConfigSynonyms). */
export const kafkaTopicDefaultKeys: ReadonlySet<string> = new Set([
  'log.segment.bytes', 'log.roll.ms', 'log.roll.hours', 'log.roll.jitter.ms', 'log.roll.jitter.hours', 'log.index.size.max.bytes',
  'log.flush.interval.messages', 'log.flush.interval.ms', 'log.flush.scheduler.interval.ms', 'log.retention.bytes', 'log.retention.ms',
  'log.retention.minutes', 'log.retention.hours', 'message.max.bytes', 'log.index.interval.bytes', 'log.cleaner.delete.retention.ms',
  'log.cleaner.min.compaction.lag.ms', 'log.cleaner.max.compaction.lag.ms', 'log.segment.delete.delay.ms', 'log.cleaner.min.cleanable.ratio',
  'log.cleanup.policy', 'unclean.leader.election.enable', 'min.insync.replicas', 'compression.type', 'log.preallocate',
  'log.message.format.version', 'log.message.timestamp.type', 'log.message.timestamp.difference.max.ms', 'log.message.timestamp.before.max.ms',
  'log.message.timestamp.after.max.ms', 'log.message.downconversion.enable', 'log.local.retention.ms', 'log.local.retention.bytes',
]);

/** The SSL settings of listeners (server/listener-tls.ts reads only these), plain or under `listener.name.<name>.`. */
export const listenerTlsKeys = [
  'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.certificate.chain', 'ssl.keystore.key', 'ssl.key.password',
  'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.certificates', 'ssl.client.auth', 'ssl.enabled.protocols',
  'ssl.principal.mapping.rules', 'ssl.endpoint.identification.algorithm', 'ssl.reload.interval.ms',
] as const;
export type ListenerTlsKey = (typeof listenerTlsKeys)[number];

const listenerPrefix = /^listener\.name\.[^.]+\../;

/** Throws a ConfigError for a key `load` must not take (see the header), naming `source` and the closest known key. */
function checkKey(key: string, source: string): void {
  if (key === 'cluster.secret') return; // known, and refused by set() with its own message
  const tlsKeys: readonly string[] = listenerTlsKeys;
  if (key in brokerConfigDefinitions || kafkaTopicDefaultKeys.has(key) || tlsKeys.includes(key) || listenerPrefix.test(key)) return;
  const suggestion = closestName(key, [...Object.keys(brokerConfigDefinitions), ...kafkaTopicDefaultKeys, ...tlsKeys]);
  throw new ConfigError(
    `${source}: unknown broker setting ${key}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; ` +
      'kb takes its own settings (kb config get lists them), Kafka\'s topic defaults (log.retention.ms, ...) and listener.name.<name>.* settings',
  );
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const expectedValue: Record<ConfigType, string> = {
  int: `an integer that fits 32 bits (-${int32Max + 1}..${int32Max})`,
  long: 'an integer that fits 64 bits',
  boolean: 'true or false',
  double: 'a number',
  string: 'a string',
};

const integerRange = { int: [-BigInt(int32Max) - 1n, BigInt(int32Max)], long: [-int64Max - 1n, int64Max] } as const;

/** Whether `value` is an integer that Kafka's INT (int32) or LONG (int64) config type holds. */
export function fitsIntegerType(value: string, type: 'int' | 'long'): boolean {
  const text = value.trim();
  if (!/^-?\d+$/.test(text)) return false;
  const [min, max] = integerRange[type];
  const n = BigInt(text);
  return n >= min && n <= max;
}

function checkValue(key: string, value: string): void {
  const definition = (brokerConfigDefinitions as Record<string, ConfigDefinition>)[key];
  if (!definition) return;
  const ok =
    definition.type === 'boolean'
      ? value === 'true' || value === 'false'
      : definition.type === 'string'
        ? true
        : definition.type === 'double'
          ? value.trim() !== '' && Number.isFinite(Number(value))
          : fitsIntegerType(value, definition.type);
  if (!ok) throw new ConfigError(`${key}=${value}: expected ${expectedValue[definition.type]}`);
}

/** Parses Java-properties style text: `key=value` or `key: value` lines. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const match = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!match) throw new ConfigError(`cannot read config line "${line}": expected key=value`);
    out.set(match[1], match[2]);
  }
  return out;
}

export class BrokerConfig {
  private readonly values = new Map<string, string>();

  constructor(overrides: Iterable<[string, string]> = []) {
    for (const [key, value] of overrides) this.set(key, value);
  }

  static async load(options: { configFile?: string; sets?: string[] }): Promise<BrokerConfig> {
    const config = new BrokerConfig();
    if (options.configFile) {
      let text: string;
      try {
        text = await readFile(options.configFile, 'utf8');
      } catch (err) {
        throw new ConfigError(`cannot read config file ${options.configFile}: ${(err as Error).message}`);
      }
      for (const [k, v] of parseProperties(text)) {
        checkKey(k, options.configFile);
        config.set(k, v);
      }
    }
    for (const assignment of options.sets ?? []) {
      const eq = assignment.indexOf('=');
      if (eq <= 0) throw new ConfigError(`--set ${assignment}: expected key=value`);
      const key = assignment.slice(0, eq).trim();
      checkKey(key, `--set ${assignment}`);
      config.set(key, assignment.slice(eq + 1).trim());
    }
    return config;
  }

  set(key: string, value: string): void {
    if (key === 'cluster.secret') throw new ConfigError('the cluster secret is never a setting (it would show in the process list): give it with --cluster-secret-file FILE or the KB_CLUSTER_SECRET environment variable');
    checkValue(key, value);
    this.values.set(key, value);
  }

  /** The raw value: explicitly set, else the known default, else undefined. */
  get(key: string): string | undefined {
    return this.values.get(key) ?? (brokerConfigDefinitions as Record<string, ConfigDefinition>)[key]?.default;
  }

  isSet(key: string): boolean {
    return this.values.has(key);
  }

  int(key: KnownBrokerKey): number {
    return Number(this.get(key));
  }

  bool(key: KnownBrokerKey): boolean {
    return this.get(key) === 'true';
  }

  string(key: KnownBrokerKey): string {
    return this.get(key) ?? '';
  }

  /** Every explicitly set key (known or not), e.g. `log.segment.bytes`. */
  entries(): [string, string][] {
    return [...this.values];
  }

  /** Known keys with their effective values and whether each is a default. */
  describe(): { name: string; value: string; isDefault: boolean }[] {
    return Object.keys(brokerConfigDefinitions).map((name) => ({
      name,
      value: this.get(name)!,
      isDefault: !this.values.has(name),
    }));
  }
}
