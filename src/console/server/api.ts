/**
 * The console's JSON API under /api/ (README's Console section lists it):
 * each route is a method, a path pattern and a handler that reads the
 * cluster through kb's client and the modules the commands use, so the
 * console and the CLI answer alike: the health verdict (cli/health-check.ts),
 * topic creation (cli/topic-create.ts), offset-reset planning
 * (cli/offset-reset-plan.ts), the balance plan (cli/balance-proposal.ts),
 * records as `kb consume --json` writes them (cli/json-records.ts).
 * Handlers validate what they are given (UsageError: 400) and throw what
 * the commands throw; server.ts turns errors into JSON answers. Deleting
 * asks for the name typed back (`confirm`), as the CLI's prompt does.
 */
import { Admin } from '../../client/admin.ts';
import type { Cluster } from '../../client/cluster.ts';
import { GroupAdmin } from '../../client/groups.ts';
import { partitionStatuses } from '../../client/partition-status.ts';
import { Producer } from '../../client/producer.ts';
import { Acls } from '../../client/acls.ts';
import { Users } from '../../client/users.ts';
import { ClientQuotasAdmin } from '../../client/quotas.ts';
import { TransactionAdmin } from '../../client/transactions.ts';
import { aclJson, sortAcls } from '../../cli/acl-output.ts';
import { proposeBalance } from '../../cli/balance-proposal.ts';
import { checkHealth } from '../../cli/health-check.ts';
import { recordFromJson } from '../../cli/json-records.ts';
import { UsageError, UserError } from '../../cli/kb-command.ts';
import { parseResetSelection, planOffsetReset } from '../../cli/offset-reset-plan.ts';
import { parseOffsetSpec, offsetSpecForms } from '../../cli/offset-spec.ts';
import { quorumStatus } from '../../cli/quorum-status.ts';
import { startMoves } from '../../cli/reassignment-start.ts';
import { createTopic } from '../../cli/topic-create.ts';
import { topicIdText } from '../../cli/output.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../protocol/acl.ts';
import { browseMessages, type BrowseRequest } from './messages.ts';
import type { History } from './history.ts';

/** How long the overview's health check waits for answers. */
export const healthTimeoutMs = 5000;

export interface ApiContext {
  cluster: Cluster;
  history: History;
  params: string[];
  query: URLSearchParams;
  body: unknown;
}

type Handler = (ctx: ApiContext) => Promise<unknown>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const segment = '([^/]+)';

/** A JSON body's object; anything else is a usage error. */
function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UsageError('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

function optionalInt(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new UsageError(`${what} must be a whole number`);
  return n;
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) throw new UsageError(`${what} must be an object of strings`);
  return value as Record<string, string>;
}

function confirmed(body: unknown, name: string): void {
  if (bodyObject(body).confirm !== name) throw new UsageError(`type the name to confirm: "confirm": "${name}"`);
}

async function overview({ cluster }: ApiContext) {
  const health = await checkHealth(cluster, healthTimeoutMs, { maxUnderReplicated: 0, maxDownBrokers: 0 });
  if (health.status === 'UNKNOWN') return { health, clusterId: null, brokers: [], quorum: null };
  const admin = new Admin(cluster);
  const metadata = cluster.metadata!;
  const topics = [...metadata.topics.values()];
  const quorum = await admin.describeQuorum().then(quorumStatus, () => null);
  const ids = [...new Set([...metadata.brokers.keys(), ...health.brokers.down])].sort((a, b) => a - b);
  const brokers = await Promise.all(
    ids.map(async (id) => {
      const info = metadata.brokers.get(id);
      const held = new Map(topics.map((t) => [t.name, t.partitions.filter((p) => p.replicas.includes(id)).map((p) => p.partition)]));
      const alive = info !== undefined && !health.brokers.down.includes(id);
      const sizes = alive ? await admin.replicaSizes(id, held).catch(() => null) : null;
      return {
        id,
        address: info ? `${info.host}:${info.port}` : null,
        rack: info?.rack ?? null,
        controller: id === metadata.controllerId,
        alive,
        leaders: topics.reduce((n, t) => n + t.partitions.filter((p) => p.leader === id).length, 0),
        partitions: [...held.values()].reduce((n, p) => n + p.length, 0),
        sizeBytes: sizes === null ? null : [...sizes.values()].reduce((sum, s) => sum + s, 0),
      };
    }),
  );
  return { health, clusterId: metadata.clusterId, brokers, quorum };
}

async function listTopics({ cluster, history }: ApiContext) {
  const admin = new Admin(cluster);
  const topics = await admin.listTopics();
  const minIsr = await admin.minInsyncReplicas(topics.map((t) => t.name)).catch(() => new Map<string, number>());
  const statuses = partitionStatuses(topics, minIsr);
  return {
    topics: await Promise.all(
      topics.map(async (t) => {
        const own = statuses.filter((s) => s.topic === t.name);
        const sizes = await admin.partitionSizes(t).catch(() => null);
        return {
          name: t.name,
          internal: t.internal,
          partitions: t.partitions.length,
          replicationFactor: t.partitions[0]?.replicas.length ?? 0,
          underReplicated: own.filter((s) => s.underReplicated).length,
          offline: own.filter((s) => s.offline).length,
          sizeBytes: sizes === null || [...sizes.values()].some((s) => s < 0) ? null : [...sizes.values()].reduce((sum, s) => sum + s, 0),
          messagesInPerSec: history.latest(`messagesIn:${t.name}`),
        };
      }),
    ),
  };
}

async function createTopicRoute({ cluster, body }: ApiContext) {
  const b = bodyObject(body);
  if (typeof b.name !== 'string') throw new UsageError('"name" must be the topic name');
  const spec = { name: b.name, partitions: optionalInt(b.partitions, 'partitions'), replicationFactor: optionalInt(b.replicationFactor, 'replicationFactor'), configs: stringMap(b.configs, 'configs') };
  return createTopic(new Admin(cluster), spec, { dryRun: b.dryRun === true });
}

async function describeTopic({ cluster, params: [name] }: ApiContext) {
  const admin = new Admin(cluster);
  const topic = await admin.describeTopic(name);
  const [offsets, sizes, configs] = await Promise.all([admin.partitionOffsets(topic), admin.partitionSizes(topic), admin.describeTopicConfigs(name)]);
  return {
    name,
    topicId: topicIdText(topic.topicId),
    internal: topic.internal,
    partitions: topic.partitions.map((p) => {
      const o = offsets.find((x) => x.partition === p.partition)!;
      return { partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offline, logStartOffset: o.logStartOffset, logEndOffset: o.logEndOffset, sizeBytes: sizes.get(p.partition)! };
    }),
    configs,
  };
}

async function deleteTopic({ cluster, params: [name], body }: ApiContext) {
  confirmed(body, name);
  const [result] = await new Admin(cluster).deleteTopics([name]);
  if (result.errorCode !== 0) throw new UserError(`cannot delete topic '${name}': ${result.errorMessage ?? `error ${result.errorCode}`}`);
  return { deleted: name };
}

async function addPartitions({ cluster, params: [name], body }: ApiContext) {
  const count = optionalInt(bodyObject(body).count, 'count');
  if (count === undefined || count < 1) throw new UsageError('"count" must be the new partition count');
  await new Admin(cluster).createPartitions(name, count);
  return { topic: name, partitions: count };
}

async function alterConfigs({ cluster, params: [name], body }: ApiContext) {
  const b = bodyObject(body);
  const set = stringMap(b.set, 'set');
  const remove = b.delete ?? [];
  if (!Array.isArray(remove) || remove.some((k) => typeof k !== 'string')) throw new UsageError('"delete" must be a list of config names');
  const changes = [...Object.entries(set).map(([k, value]) => ({ name: k, value })), ...(remove as string[]).map((k) => ({ name: k, value: null }))];
  if (changes.length === 0) throw new UsageError('nothing to change: give "set" or "delete"');
  await new Admin(cluster).alterTopicConfigs(name, changes);
  return { topic: name, changed: changes.length };
}

async function browse({ cluster, params: [topic], query }: ApiContext) {
  const partition = optionalInt(query.get('partition'), 'partition') ?? null;
  const limit = optionalInt(query.get('limit'), 'limit') ?? 50;
  const mode = query.get('from') ?? 'newest';
  let from: BrowseRequest['from'];
  if (mode === 'newest') from = { kind: 'newest' };
  else if (mode === 'offset') from = { kind: 'offset', offset: BigInt(optionalInt(query.get('offset'), 'offset') ?? 0) };
  else if (mode === 'timestamp') {
    let spec;
    try {
      spec = parseOffsetSpec(`@${query.get('timestamp') ?? ''}`);
    } catch {
      throw new UsageError(`timestamp: ${offsetSpecForms}`);
    }
    if (spec.kind !== 'timestamp') throw new UsageError(`timestamp: ${offsetSpecForms}`);
    from = { kind: 'timestamp', timestamp: spec.timestamp };
  } else throw new UsageError('from must be newest, offset or timestamp');
  return browseMessages(cluster, { topic, partition, from, limit, filter: query.get('filter') ?? '' });
}

async function produce({ cluster, params: [topic], body }: ApiContext) {
  let record;
  try {
    record = recordFromJson(JSON.stringify(bodyObject(body)));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const producer = new Producer(cluster, { lingerMs: 0 });
  const metadata = await producer.send(topic, record)!;
  return { topic, partition: metadata.partition, offset: metadata.offset };
}

async function listGroups({ cluster, history }: ApiContext) {
  const groups = await new GroupAdmin(cluster).listGroups();
  return { groups: groups.map((g) => ({ ...g, lag: history.latest(`lag:${g.groupId}`) })) };
}

async function describeGroup({ cluster, params: [id] }: ApiContext) {
  const admin = new GroupAdmin(cluster);
  const [group, committed] = await Promise.all([admin.describeGroup(id), admin.committedOffsets(id)]);
  if (group.state === 'Dead' && committed.length === 0) throw new UserError(`group '${id}' does not exist`);
  const lag = await admin.lag(group, committed);
  return {
    ...group,
    lag: lag.map((p) => ({ topic: p.topic, partition: p.partition, committedOffset: p.committedOffset, logEndOffset: p.logEndOffset, lag: p.lag, member: p.member?.memberId ?? null })),
    totalLag: lag.reduce((sum, p) => sum + Number(p.lag ?? 0n), 0),
  };
}

async function resetOffsets({ cluster, params: [id], body }: ApiContext) {
  const b = bodyObject(body);
  const topics = b.topics ?? null;
  if (topics !== null && (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string'))) throw new UsageError('"topics" must be a list of TOPIC or TOPIC:PARTITION,... (or null: every committed one)');
  let target;
  if (typeof b.to === 'string') {
    try {
      target = parseOffsetSpec(b.to);
    } catch {
      throw new UsageError(`"to": ${offsetSpecForms}`);
    }
  } else if (b.shiftBy !== undefined) target = { kind: 'shift' as const, by: BigInt(optionalInt(b.shiftBy, 'shiftBy')!) };
  else throw new UsageError('say where to: "to" (an offset spec) or "shiftBy"');
  const partitions = await planOffsetReset(cluster, id, topics === null ? null : (topics as string[]).map(parseResetSelection), target);
  if (b.execute === true) {
    confirmed(body, id);
    await new GroupAdmin(cluster).commitOffsets(id, partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: BigInt(p.newOffset) })));
  }
  return { group: id, executed: b.execute === true, partitions };
}

async function deleteGroup({ cluster, params: [id], body }: ApiContext) {
  confirmed(body, id);
  await new GroupAdmin(cluster).deleteGroup(id);
  return { deleted: id };
}

/**
 * Moves in progress, each with the bytes its adding replicas still lack
 * (the leader's size minus theirs; all of it for a broker that does not
 * answer), and the partitions whose leader is not their preferred one.
 * One DescribeLogDirs per broker involved.
 */
async function reassignments({ cluster }: ApiContext) {
  const admin = new Admin(cluster);
  const [moves, metadata] = await Promise.all([admin.listPartitionReassignments(), cluster.refreshMetadata(null)]);
  const leaderOf = (m: { topic: string; partition: number }) => metadata.topics.get(m.topic)?.partitions[m.partition]?.leader ?? -1;
  const asked = new Map<number, Map<string, number[]>>();
  for (const m of moves) {
    for (const id of [leaderOf(m), ...m.addingReplicas].filter((id) => id >= 0)) {
      const topics = asked.get(id) ?? new Map<string, number[]>();
      topics.set(m.topic, [...(topics.get(m.topic) ?? []), m.partition]);
      asked.set(id, topics);
    }
  }
  const sizes = new Map(await Promise.all([...asked].map(async ([id, topics]) => [id, await admin.replicaSizes(id, topics).catch(() => new Map<string, number>())] as const)));
  const sizeOn = (id: number, m: { topic: string; partition: number }) => sizes.get(id)?.get(`${m.topic}/${m.partition}`) ?? null;
  const notPreferredLeaders = [...metadata.topics.values()].flatMap((t) => t.partitions.filter((p) => p.replicas.length > 0 && p.leader !== p.replicas[0]).map((p) => `${t.name}-${p.partition}`));
  return {
    reassignments: moves.map((m) => {
      const leaderBytes = sizeOn(leaderOf(m), m);
      const bytesLeft = leaderBytes === null ? null : m.addingReplicas.reduce((sum, id) => sum + Math.max(0, leaderBytes - (sizeOn(id, m) ?? 0)), 0);
      return { ...m, bytesLeft };
    }),
    notPreferredLeaders,
  };
}

async function balance({ cluster }: ApiContext) {
  const { changing } = await proposeBalance(cluster, undefined);
  return { moves: changing };
}

async function applyBalance({ cluster }: ApiContext) {
  const { changing } = await proposeBalance(cluster, undefined);
  if (changing.length > 0) await startMoves(new Admin(cluster), changing);
  return { started: changing };
}

async function history({ history: h, query }: ApiContext) {
  const names = query.getAll('series').slice(0, 20);
  return { series: Object.fromEntries(names.map((name) => [name, h.points(name)])) };
}

const anyAcl = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permission: AclPermission.ANY };

export const routes: Route[] = [
  { method: 'GET', pattern: /^overview$/, handler: overview },
  { method: 'GET', pattern: /^topics$/, handler: listTopics },
  { method: 'POST', pattern: /^topics$/, handler: createTopicRoute },
  { method: 'GET', pattern: new RegExp(`^topics/${segment}$`), handler: describeTopic },
  { method: 'DELETE', pattern: new RegExp(`^topics/${segment}$`), handler: deleteTopic },
  { method: 'POST', pattern: new RegExp(`^topics/${segment}/partitions$`), handler: addPartitions },
  { method: 'PATCH', pattern: new RegExp(`^topics/${segment}/configs$`), handler: alterConfigs },
  { method: 'GET', pattern: new RegExp(`^topics/${segment}/messages$`), handler: browse },
  { method: 'POST', pattern: new RegExp(`^topics/${segment}/messages$`), handler: produce },
  { method: 'GET', pattern: /^groups$/, handler: listGroups },
  { method: 'GET', pattern: new RegExp(`^groups/${segment}$`), handler: describeGroup },
  { method: 'DELETE', pattern: new RegExp(`^groups/${segment}$`), handler: deleteGroup },
  { method: 'POST', pattern: new RegExp(`^groups/${segment}/reset-offsets$`), handler: resetOffsets },
  { method: 'GET', pattern: /^reassignments$/, handler: reassignments },
  { method: 'GET', pattern: /^balance$/, handler: balance },
  { method: 'POST', pattern: /^balance$/, handler: applyBalance },
  { method: 'GET', pattern: /^history$/, handler: history },
  { method: 'GET', pattern: /^acls$/, handler: async ({ cluster }) => ({ acls: sortAcls(await new Acls(cluster).list(anyAcl)).map(aclJson) }) },
  { method: 'GET', pattern: /^users$/, handler: async ({ cluster }) => ({ users: await new Users(cluster).describe(null) }) },
  { method: 'GET', pattern: /^quotas$/, handler: async ({ cluster }) => ({ quotas: await new ClientQuotasAdmin(cluster).describe([]) }) },
  { method: 'GET', pattern: /^transactions$/, handler: async ({ cluster }) => ({ transactions: await new TransactionAdmin(cluster).list() }) },
];

/** The route for `method` and `path` (below /api/) with its decoded path parameters; 'method' when only the method is wrong. */
export function findRoute(method: string, path: string): { handler: Handler; params: string[] } | 'method' | null {
  let other = false;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    if (route.method === method) return { handler: route.handler, params: match.slice(1).map(decodeURIComponent) };
    other = true;
  }
  return other ? 'method' : null;
}
