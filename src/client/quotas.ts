/**
 * Client quotas, shaped for the CLI: list the quotas of the entities a
 * filter matches (DescribeClientQuotas, non-strict: an entity matches when
 * it has every part the filter names) and set or remove an entity's quota
 * values (AlterClientQuotas). Both go to the active controller, whose
 * metadata is the most recent. An entity part with a null name is that
 * type's default. Kafka errors become ClientErrors naming the entity.
 */
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import type { QuotaEntityPart } from '../metadata/client-quotas.ts';
import { check } from './admin.ts';
import type { Cluster } from './cluster.ts';

export interface EntityQuotaValues {
  entity: QuotaEntityPart[];
  values: Record<string, number>;
}

const matchExact = 0;
const matchDefault = 1;

/** How the CLI names an entity: `user=alice,client-id=<default>`. */
export function describeEntity(entity: QuotaEntityPart[]): string {
  return entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).join(',');
}

export class ClientQuotasAdmin {
  private readonly cluster: Cluster;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  /** The entities with every part of `filter` (all entities for an empty one), with their quota values. */
  async describe(filter: QuotaEntityPart[]): Promise<EntityQuotaValues[]> {
    const controller = await this.cluster.controller();
    const components = filter.map((p) => ({ entityType: p.entityType, matchType: p.entityName === null ? matchDefault : matchExact, match: p.entityName }));
    const response = await controller.request(ApiKeys.DescribeClientQuotas, 1, { components, strict: false });
    check(response.errorCode, response.errorMessage, 'listing client quotas');
    return (response.entries ?? [])
      .map((e) => ({ entity: e.entity, values: Object.fromEntries(e.values.map((v) => [v.key, v.value])) }))
      .sort((a, b) => describeEntity(a.entity).localeCompare(describeEntity(b.entity)));
  }

  /** Sets (a number) or removes (null) quota values of one entity. */
  async alter(entity: QuotaEntityPart[], values: Record<string, number | null>, validateOnly = false): Promise<void> {
    const controller = await this.cluster.controller();
    const ops = Object.entries(values).map(([key, value]) => ({ key, value: value ?? 0, remove: value === null }));
    const response = await controller.request(ApiKeys.AlterClientQuotas, 1, { entries: [{ entity, ops }], validateOnly });
    for (const entry of response.entries) check(entry.errorCode, entry.errorMessage, `client quotas of ${describeEntity(entity)}`);
  }
}
