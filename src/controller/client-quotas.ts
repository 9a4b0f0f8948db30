/**
 * AlterClientQuotas (49) on the controller, with Kafka's semantics
 * (ClientQuotaControlManager): one result per entry, entries decided one
 * by one. An entity is one `user` and/or one `client-id` part, a null name
 * being that type's default; anything else (empty, a type twice, another
 * type such as `ip`) is INVALID_REQUEST, as is an unknown key, a key named
 * twice in an entry, a fractional value for a whole-number key
 * (producer_byte_rate, consumer_byte_rate) or a value that is not a
 * positive number. `remove` drops the key's value (nothing to remove is
 * not an error). validateOnly decides the same answers and records nothing.
 * Beyond Kafka, what a client makes every node keep is bounded: names'
 * lengths and the number of entities with quotas (POLICY_VIOLATION).
 *
 * Pure: decides results and records from the image; the controller commits.
 */
import { clientIdLengthMax, clientQuotaEntitiesMax, userNameLengthMax } from '../limits.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { entityKey, quotaEntityTypes, quotaKeys, type QuotaEntityPart } from '../metadata/client-quotas.ts';
import type { MetadataImage } from '../metadata/image.ts';
import type { MetadataRecord } from '../metadata/records.ts';

export interface QuotaAlteration {
  entity: QuotaEntityPart[];
  ops: { key: string; value: number; remove: boolean }[];
}

export interface QuotaAlterationResult {
  errorCode: number;
  errorMessage: string | null;
  entity: QuotaEntityPart[];
}

const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });

function entityProblem(entity: QuotaEntityPart[]): string | null {
  if (entity.length === 0) return 'Invalid empty client quota entity';
  const seen = new Set<string>();
  for (const { entityType, entityName } of entity) {
    if (!(quotaEntityTypes as readonly string[]).includes(entityType)) return `Unhandled client quota entity type: ${entityType}`;
    if (seen.has(entityType)) return `Duplicate ${entityType} in the client quota entity`;
    seen.add(entityType);
    const lengthMax = entityType === 'user' ? userNameLengthMax : clientIdLengthMax;
    if (entityName !== null && entityName.length > lengthMax) return `A ${entityType} name in a client quota entity is at most ${lengthMax} characters`;
  }
  return null;
}

function opsProblem(ops: QuotaAlteration['ops']): string | null {
  const seen = new Set<string>();
  for (const { key, value, remove } of ops) {
    const type = Object.hasOwn(quotaKeys, key) ? quotaKeys[key] : undefined;
    if (!type) return `Invalid configuration key ${key}`;
    if (seen.has(key)) return `Configuration ${key} is altered twice in the same entry`;
    seen.add(key);
    if (remove) continue;
    if (!Number.isFinite(value) || value <= 0) return `Configuration ${key} must be a positive number, got ${value}`;
    if (type === 'long' && !Number.isSafeInteger(value)) return `Configuration ${key} must be a Long value, got ${value}`;
  }
  return null;
}

export function planClientQuotaAlterations(
  image: Pick<MetadataImage, 'clientQuotas'>,
  alterations: QuotaAlteration[],
): { results: QuotaAlterationResult[]; records: MetadataRecord[] } {
  const results: QuotaAlterationResult[] = [];
  const records: MetadataRecord[] = [];
  const entities = new Set(image.clientQuotas.keys());
  for (const { entity, ops } of alterations) {
    const problem = entityProblem(entity) ?? opsProblem(ops);
    if (problem) {
      results.push({ ...invalid(problem), entity });
      continue;
    }
    const key = entityKey(entity);
    if (!entities.has(key) && ops.some((op) => !op.remove)) {
      if (entities.size >= clientQuotaEntitiesMax) {
        results.push({ errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `The cluster holds quotas for ${clientQuotaEntitiesMax} entities, the most it keeps: delete unused ones first`, entity });
        continue;
      }
      entities.add(key);
    }
    for (const op of ops) records.push({ type: 'clientQuota', entity, key: op.key, value: op.remove ? null : op.value });
    results.push({ errorCode: ErrorCode.NONE, errorMessage: null, entity });
  }
  return { results, records };
}
