/**
 * Client quotas as Kafka defines them (QuotaConfigs, ClientQuotaManager):
 * the quota keys, the entities they are set for (a user, a client id, or
 * a user and client id; a null name is the entity type's `<default>`), and
 * which entity's value applies to a connection. Pure: the image keeps the
 * values (ClientQuotaRecords), the broker measures and throttles.
 *
 * Precedence, per key, for user U and client id C (Kafka's order): U+C,
 * U+<default> client, U, <default> user+C, <default> user+<default> client,
 * <default> user, C, <default> client. The first entity with a value for
 * the key applies, and the quota is shared by all connections with the same
 * user and client id as far as the entity names them (its bucket: U+C, or
 * U alone for a user entity, C alone for a client-id entity; a default
 * stands for each user or client id separately).
 */

export const quotaEntityTypes = ['user', 'client-id'] as const;
export type QuotaEntityType = (typeof quotaEntityTypes)[number];

/** One component of an entity; entityName null: the type's default (`<default>`). */
export interface QuotaEntityPart {
  entityType: string;
  entityName: string | null;
}

/** The quota keys, with whether their values are whole numbers (Kafka's LONG) or not (DOUBLE). */
export const quotaKeys: Readonly<Record<string, 'long' | 'double'>> = {
  producer_byte_rate: 'long',
  consumer_byte_rate: 'long',
  request_percentage: 'double',
  controller_mutation_rate: 'double',
};
export type QuotaKey = 'producer_byte_rate' | 'consumer_byte_rate' | 'request_percentage' | 'controller_mutation_rate';

/** The entity's parts in one order (user before client-id, as Kafka shows them), so equal entities compare equal. */
export function canonicalEntity(entity: readonly QuotaEntityPart[]): QuotaEntityPart[] {
  const rank = (type: string) => (quotaEntityTypes as readonly string[]).indexOf(type);
  return entity.map(({ entityType, entityName }) => ({ entityType, entityName })).sort((a, b) => rank(a.entityType) - rank(b.entityType));
}

/** The map key of an entity (its canonical parts). */
export function entityKey(entity: readonly QuotaEntityPart[]): string {
  return JSON.stringify(canonicalEntity(entity).map((p) => [p.entityType, p.entityName]));
}

/** The user a principal names as a quota entity (`User:alice` -> `alice`, as Kafka takes the principal's name). */
export function quotaUser(principal: string): string {
  const colon = principal.indexOf(':');
  return colon === -1 ? principal : principal.slice(colon + 1);
}

/** An entity's quota values, as the image keeps them (by entityKey). */
export interface EntityQuotas {
  entity: QuotaEntityPart[];
  /** Quota key -> value. */
  values: Map<string, number>;
}

/** The quota that applies to a connection for one key, and the bucket its usage counts into. */
export interface AppliedQuota {
  /** The key's value: bytes per second, percent of a thread's time, or partition mutations per second. */
  limit: number;
  /** The usage shared by every connection with the same bucket. */
  bucket: string;
}

type Name = string | null;
/** The entities in precedence order: [user part, client-id part], undefined where the entity has no such part; which of U and C name its bucket. */
const precedence: { user: 'U' | 'default' | undefined; client: 'C' | 'default' | undefined }[] = [
  { user: 'U', client: 'C' },
  { user: 'U', client: 'default' },
  { user: 'U', client: undefined },
  { user: 'default', client: 'C' },
  { user: 'default', client: 'default' },
  { user: 'default', client: undefined },
  { user: undefined, client: 'C' },
  { user: undefined, client: 'default' },
];

/**
 * The quota for `key` that applies to user `user` with client id
 * `clientId`, or null when no entity sets it (unlimited).
 */
export function appliedQuota(quotas: ReadonlyMap<string, EntityQuotas>, user: string, clientId: string, key: QuotaKey): AppliedQuota | null {
  if (quotas.size === 0) return null;
  for (const level of precedence) {
    // entityKey of the level's entity, built in canonical order (user first) without sorting: this runs per request.
    const parts: [string, string | null][] = [];
    if (level.user) parts.push(['user', level.user === 'U' ? user : null]);
    if (level.client) parts.push(['client-id', level.client === 'C' ? clientId : null]);
    const limit = quotas.get(JSON.stringify(parts))?.values.get(key);
    if (limit === undefined) continue;
    const bucketUser: Name = level.user ? user : null;
    const bucketClient: Name = level.client ? clientId : null;
    return { limit, bucket: JSON.stringify([bucketUser, bucketClient]) };
  }
  return null;
}
