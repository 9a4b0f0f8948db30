/**
 * The in-memory metadata image: what every node knows about the cluster,
 * built only by replaying MetadataRecords in log order. Pure data, no I/O:
 * the controller decides, the log orders, the image reflects.
 * Users' SCRAM credentials are kept by name and mechanism type; ACLs by
 * their fields (creating one twice keeps one), with a count of their changes
 * so what is built from them (the authorizer) knows when to rebuild; client
 * quotas by entity (client-quotas.ts), with a count of their changes too.
 * Topics are also indexed by their collision key (Kafka: names that differ
 * only by '.' versus '_' collide), so checking a new name costs one lookup.
 */
import { canonicalEntity, entityKey, type EntityQuotas } from './client-quotas.ts';
import type { BrokerRecord, MetadataRecord, PartitionRecord, ScramCredentialRecord } from './records.ts';
import { aclKey, type AclBinding } from '../protocol/acl.ts';

export interface TopicImage {
  name: string;
  topicId: string;
  partitions: PartitionRecord[];
}

/** The name under which '.' and '_' collide. */
export function collisionKey(name: string): string {
  return name.replaceAll('.', '_');
}

export class MetadataImage {
  clusterId: string | null = null;
  /** The first producer id not yet handed out to any broker. */
  nextProducerId = 0;
  readonly brokers = new Map<number, BrokerRecord>();
  readonly topicsByName = new Map<string, TopicImage>();
  readonly topicsById = new Map<string, TopicImage>();
  private readonly topicsByCollisionKey = new Map<string, TopicImage>();
  /** User name -> mechanism type -> credential. */
  readonly scramCredentials = new Map<string, Map<number, ScramCredentialRecord>>();
  /** entityKey -> the entity's quota values; an entity without values is dropped. */
  readonly clientQuotas = new Map<string, EntityQuotas>();
  /** Counts changes to clientQuotas, so what was resolved from them can be cached until the next. */
  clientQuotasVersion = 0;
  /** aclKey -> ACL. */
  readonly acls = new Map<string, AclBinding>();
  /** Bumped by every ACL change. */
  aclsVersion = 0;
  /** `${resourceType}:${resourceName}` -> config name -> value. */
  private readonly configs = new Map<string, Map<string, string>>();

  apply(record: MetadataRecord): void {
    switch (record.type) {
      case 'cluster':
        this.clusterId = record.clusterId;
        break;
      case 'broker':
        this.brokers.set(record.nodeId, record);
        break;
      case 'topic': {
        const topic: TopicImage = { name: record.name, topicId: record.topicId, partitions: [] };
        this.topicsByName.set(record.name, topic);
        this.topicsById.set(record.topicId, topic);
        this.topicsByCollisionKey.set(collisionKey(record.name), topic);
        break;
      }
      case 'partition': {
        const topic = this.topicsById.get(record.topicId);
        if (!topic) throw new Error(`partition record for unknown topic id ${record.topicId}`);
        topic.partitions[record.partition] = record;
        break;
      }
      case 'removeTopic': {
        const topic = this.topicsById.get(record.topicId);
        if (!topic) break;
        this.topicsById.delete(topic.topicId);
        this.topicsByName.delete(topic.name);
        if (this.topicsByCollisionKey.get(collisionKey(topic.name)) === topic) this.topicsByCollisionKey.delete(collisionKey(topic.name));
        this.configs.delete(`topic:${topic.name}`);
        break;
      }
      case 'config': {
        const key = `${record.resourceType}:${record.resourceName}`;
        const entries = this.configs.get(key) ?? new Map<string, string>();
        if (record.value === null) entries.delete(record.name);
        else entries.set(record.name, record.value);
        this.configs.set(key, entries);
        break;
      }
      case 'producerIds':
        this.nextProducerId = Math.max(this.nextProducerId, record.firstProducerId + record.size);
        break;
      case 'scramCredential': {
        const byMechanism = this.scramCredentials.get(record.name) ?? new Map<number, ScramCredentialRecord>();
        byMechanism.set(record.mechanism, record);
        this.scramCredentials.set(record.name, byMechanism);
        break;
      }
      case 'removeScramCredential': {
        const byMechanism = this.scramCredentials.get(record.name);
        byMechanism?.delete(record.mechanism);
        if (byMechanism?.size === 0) this.scramCredentials.delete(record.name);
        break;
      }
      case 'clientQuota': {
        this.clientQuotasVersion++;
        const key = entityKey(record.entity);
        const quotas = this.clientQuotas.get(key) ?? { entity: canonicalEntity(record.entity), values: new Map<string, number>() };
        if (record.value === null) quotas.values.delete(record.key);
        else quotas.values.set(record.key, record.value);
        if (quotas.values.size === 0) this.clientQuotas.delete(key);
        else this.clientQuotas.set(key, quotas);
        break;
      }
      case 'acl':
      case 'removeAcl': {
        const { type, ...acl } = record;
        if (type === 'acl') this.acls.set(aclKey(acl), acl);
        else this.acls.delete(aclKey(acl));
        this.aclsVersion++;
        break;
      }
    }
  }

  /** Forgets everything, before a snapshot is applied. */
  clear(): void {
    this.clusterId = null;
    this.nextProducerId = 0;
    this.brokers.clear();
    this.topicsByName.clear();
    this.topicsById.clear();
    this.topicsByCollisionKey.clear();
    this.configs.clear();
    this.scramCredentials.clear();
    this.clientQuotas.clear();
    this.clientQuotasVersion++;
    this.acls.clear();
    this.aclsVersion++;
  }

  /** Records that rebuild this image when applied to an empty one (a snapshot). */
  toRecords(): MetadataRecord[] {
    const records: MetadataRecord[] = [];
    if (this.clusterId !== null) records.push({ type: 'cluster', clusterId: this.clusterId });
    records.push(...this.brokers.values());
    for (const topic of this.topicsById.values()) {
      records.push({ type: 'topic', name: topic.name, topicId: topic.topicId }, ...topic.partitions);
    }
    for (const [key, entries] of this.configs) {
      const [resourceType, ...rest] = key.split(':');
      for (const [name, value] of entries) {
        records.push({ type: 'config', resourceType: resourceType as 'topic' | 'broker', resourceName: rest.join(':'), name, value });
      }
    }
    for (const byMechanism of this.scramCredentials.values()) records.push(...byMechanism.values());
    for (const { entity, values } of this.clientQuotas.values()) {
      for (const [key, value] of values) records.push({ type: 'clientQuota', entity, key, value });
    }
    for (const acl of this.acls.values()) records.push({ type: 'acl', ...acl });
    if (this.nextProducerId > 0) records.push({ type: 'producerIds', nodeId: -1, firstProducerId: this.nextProducerId, size: 0 });
    return records;
  }

  topicConfigs(topic: string): Map<string, string> {
    return this.configs.get(`topic:${topic}`) ?? new Map();
  }

  brokerConfigs(resourceName: string): Map<string, string> {
    return this.configs.get(`broker:${resourceName}`) ?? new Map();
  }

  /** The credential of `user` for a mechanism type, or undefined. */
  scramCredential(user: string, mechanism: number): ScramCredentialRecord | undefined {
    return this.scramCredentials.get(user)?.get(mechanism);
  }

  /** A topic whose name collides with `name` ('.' and '_' equivalent), or undefined. */
  topicCollidingWith(name: string): TopicImage | undefined {
    return this.topicsByCollisionKey.get(collisionKey(name));
  }

  partition(topic: string, partition: number): PartitionRecord | undefined {
    return this.topicsByName.get(topic)?.partitions[partition];
  }
}
