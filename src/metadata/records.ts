/**
 * Metadata records: every change to the cluster's shape (cluster id, broker
 * registrations, topics, partitions and their leadership, configs, producer
 * id blocks, users' SCRAM credentials, ACLs, client quotas) is one of
 * these, appended to the metadata log and replayed into the MetadataImage on
 * every node. On disk each record is the msgpack encoding of the object below
 * (its `type` field discriminates), carried as the value of one Kafka record
 * in the metadata log's record batches.
 */
import { Packr } from 'msgpackr';
import type { QuotaEntityPart } from './client-quotas.ts';
import type { AclBinding } from '../protocol/acl.ts';

export interface ClusterRecord {
  type: 'cluster';
  clusterId: string;
}

/** One listener of a registered broker: where to reach it on that listener. */
export interface Endpoint {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

export interface BrokerRecord {
  type: 'broker';
  nodeId: number;
  /** Every listener of the broker (a record written before named listeners: one named CLIENT, from its host and port). */
  endpoints: Endpoint[];
  rack: string | null;
  /** Bumped at each registration so a restarted broker is told apart. */
  epoch: number;
  fenced: boolean;
}

export interface TopicRecord {
  type: 'topic';
  name: string;
  /** 32 lowercase hex digits (the 16-byte Kafka topic id). */
  topicId: string;
}

export interface PartitionRecord {
  type: 'partition';
  topicId: string;
  partition: number;
  replicas: number[];
  isr: number[];
  leader: number;
  leaderEpoch: number;
  /** Bumped on every change of this partition (Kafka's partition epoch). */
  partitionEpoch: number;
  /**
   * During a reassignment (Kafka's fields): replicas being added and being
   * removed; `replicas` is then the union of the old and the target set.
   * Absent or empty: no reassignment (records written before these existed
   * have neither).
   */
  addingReplicas?: number[];
  removingReplicas?: number[];
}

export interface RemoveTopicRecord {
  type: 'removeTopic';
  topicId: string;
}

export interface ConfigRecord {
  type: 'config';
  resourceType: 'topic' | 'broker';
  /** Topic name, or broker id as a string ('' for the cluster-wide default). */
  resourceName: string;
  name: string;
  /** null removes the setting (back to the default). */
  value: string | null;
}

/** The broker settings that can change while brokers run (per broker, or for all with the cluster default): the controller writes broker ConfigRecords for these only. */
export const dynamicBrokerConfigs: ReadonlySet<string> = new Set(['leader.replication.throttled.rate', 'follower.replication.throttled.rate']);

/** A block of producer ids handed to a broker for InitProducerId. */
export interface ProducerIdsRecord {
  type: 'producerIds';
  nodeId: number;
  firstProducerId: number;
  size: number;
}

/**
 * A user's SCRAM credential for one mechanism (KRaft's
 * UserScramCredentialRecord): what checks a login, never the password.
 */
export interface ScramCredentialRecord {
  type: 'scramCredential';
  name: string;
  /** Kafka's ScramMechanism type: 1 SCRAM-SHA-256, 2 SCRAM-SHA-512. */
  mechanism: number;
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

export interface RemoveScramCredentialRecord {
  type: 'removeScramCredential';
  name: string;
  mechanism: number;
}

/**
 * One client quota value of an entity (KRaft's ClientQuotaRecord): set, or
 * removed when `value` is null (client-quotas.ts has the keys and entities).
 */
export interface ClientQuotaRecord {
  type: 'clientQuota';
  entity: QuotaEntityPart[];
  key: string;
  value: number | null;
}

/** An ACL (KRaft's AccessControlEntryRecord, identified by its fields rather than an id): protocol/acl.ts. */
export interface AclRecord extends AclBinding {
  type: 'acl';
}

export interface RemoveAclRecord extends AclBinding {
  type: 'removeAcl';
}

export type MetadataRecord =
  | ClusterRecord
  | BrokerRecord
  | TopicRecord
  | PartitionRecord
  | RemoveTopicRecord
  | ConfigRecord
  | ProducerIdsRecord
  | ScramCredentialRecord
  | RemoveScramCredentialRecord
  | AclRecord
  | RemoveAclRecord
  | ClientQuotaRecord;

const packr = new Packr({ useRecords: false, moreTypes: false });

export function encodeMetadataRecord(record: MetadataRecord): Buffer {
  return packr.pack(record);
}

const recordTypes = new Set(['cluster', 'broker', 'topic', 'partition', 'removeTopic', 'config', 'producerIds', 'scramCredential', 'removeScramCredential', 'acl', 'removeAcl', 'clientQuota']);

/** The listener name a broker record written before named listeners gets for its one address. */
export const legacyListenerName = 'CLIENT';

/** Decodes one record; throws on bytes that are not a metadata record. */
export function decodeMetadataRecord(bytes: Buffer): MetadataRecord {
  const value = packr.unpack(bytes) as MetadataRecord;
  if (typeof value !== 'object' || value === null || !recordTypes.has(value.type)) {
    throw new Error(`not a metadata record: ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  if (value.type === 'broker' && !Array.isArray(value.endpoints)) {
    const { host, port, ...rest } = value as unknown as BrokerRecord & { host: string; port: number };
    return { ...rest, endpoints: [{ name: legacyListenerName, host, port, securityProtocol: 'PLAINTEXT' }] };
  }
  return value;
}

/** The brokers that have listener `name`, each with its endpoint there (Metadata and DescribeCluster answer with these, as Kafka). */
export function brokersOn(brokers: BrokerRecord[], name: string): { broker: BrokerRecord; endpoint: Endpoint }[] {
  return brokers.flatMap((broker) => {
    const endpoint = endpointOf(broker, name);
    return endpoint ? [{ broker, endpoint }] : [];
  });
}

/** The broker's endpoint on listener `name`, if it has that listener. */
export function endpointOf(broker: BrokerRecord, name: string): Endpoint | undefined {
  return broker.endpoints.find((e) => e.name === name);
}
