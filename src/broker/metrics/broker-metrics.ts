/**
 * The broker's Prometheus metrics (prom-client), every one registered here
 * in one registry per broker. Counters move as things happen, at the
 * handler level and from batch headers only (never per record); gauges are
 * computed from the broker's state when scraped.
 *
 * Counters:
 *   kb_topic_bytes_in_total{topic}, kb_topic_messages_in_total{topic}
 *       batches clients produced that were appended (replication excluded)
 *   kb_topic_bytes_out_total{topic}, kb_topic_messages_out_total{topic}
 *       batches served to consumers (follower fetches excluded), or the
 *       legacy messages they were converted to for Fetch v0-3
 *   kb_isr_shrinks_total, kb_isr_expands_total
 *       ISR changes of partitions this broker leads
 * Histogram:
 *   kb_request_duration_seconds{api}  per Kafka API name (Produce, Fetch ...);
 *       its _count is the request count (rate() of it is the request rate)
 * Gauges (at scrape time):
 *   kb_active_controller               1 on the active controller, else 0
 *   kb_partitions                      partitions whose log this broker holds
 *   kb_under_replicated_partitions     partitions it leads with ISR < replicas
 *   kb_offline_partitions              partitions without a leader, cluster-wide,
 *                                      reported by the active controller (0 elsewhere)
 *   kb_log_size_bytes{topic,partition} size of each log it holds
 *   kb_consumer_group_lag{group,topic,partition}
 *       for groups it coordinates: high watermark - committed offset, for
 *       partitions whose log it holds (leader's or follower's high watermark)
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { apis } from '../../protocol/generated/index.ts';
import { noLeader } from '../../controller/leader-election.ts';
import type { MetadataImage } from '../../metadata/image.ts';
import type { Partition } from '../replica/partition.ts';
import type { GroupOffset } from '../group/coordinator.ts';

/** What the scrape-time gauges read from the broker. */
export interface MetricsSource {
  image: MetadataImage;
  isActiveController(): boolean;
  /** Every partition whose log this broker holds, as leader or follower. */
  hostedPartitions(): readonly Partition[];
  /** Committed offsets of the groups this broker coordinates. */
  committedOffsets(): GroupOffset[];
}

interface TopicCounters {
  bytesIn: Counter.Internal;
  messagesIn: Counter.Internal;
  bytesOut: Counter.Internal;
  messagesOut: Counter.Internal;
}

/** Request latency buckets in seconds: sub-millisecond produces up to long-polling fetches. */
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly bytesIn: Counter<'topic'>;
  private readonly messagesIn: Counter<'topic'>;
  private readonly bytesOut: Counter<'topic'>;
  private readonly messagesOut: Counter<'topic'>;
  private readonly isrShrinks: Counter;
  private readonly isrExpands: Counter;
  private readonly requestSeconds: Histogram<'api'>;
  /** Label children by topic and by API key, so the request path does not hash labels. */
  private readonly topics = new Map<string, TopicCounters>();
  private readonly apis = new Map<number, Histogram.Internal<'api'>>();

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['topic'] as const, registers });
    this.bytesIn = counter('kb_topic_bytes_in_total', 'Bytes produced by clients and appended, per topic');
    this.messagesIn = counter('kb_topic_messages_in_total', 'Records produced by clients and appended, per topic');
    this.bytesOut = counter('kb_topic_bytes_out_total', 'Bytes served to consumers, per topic');
    this.messagesOut = counter('kb_topic_messages_out_total', 'Records served to consumers (whole batches), per topic');
    this.isrShrinks = new Counter({ name: 'kb_isr_shrinks_total', help: 'ISR shrinks of partitions led by this broker', registers });
    this.isrExpands = new Counter({ name: 'kb_isr_expands_total', help: 'ISR expansions of partitions led by this broker', registers });
    this.requestSeconds = new Histogram({
      name: 'kb_request_duration_seconds',
      help: 'Time from a decoded request to its response, per Kafka API',
      labelNames: ['api'] as const,
      buckets: latencyBuckets,
      registers,
    });
    this.registerGauges(source);
  }

  private registerGauges(source: MetricsSource): void {
    const registers = [this.registry];
    new Gauge({
      name: 'kb_active_controller',
      help: '1 on the active controller, else 0',
      registers,
      collect() {
        this.set(source.isActiveController() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'kb_partitions',
      help: 'Partitions whose log this broker holds (leader or follower)',
      registers,
      collect() {
        this.set(source.hostedPartitions().length);
      },
    });
    new Gauge({
      name: 'kb_under_replicated_partitions',
      help: 'Partitions led by this broker whose ISR is smaller than their replica set',
      registers,
      collect() {
        this.set(source.hostedPartitions().filter((p) => p.isLeader && p.state.isr.length < p.state.replicas.length).length);
      },
    });
    new Gauge({
      name: 'kb_offline_partitions',
      help: 'Partitions without a leader, cluster-wide (reported by the active controller, 0 elsewhere)',
      registers,
      collect() {
        this.set(source.isActiveController() ? offlinePartitions(source.image) : 0);
      },
    });
    new Gauge({
      name: 'kb_log_size_bytes',
      help: 'Size of each partition log this broker holds',
      labelNames: ['topic', 'partition'] as const,
      registers,
      collect() {
        this.reset();
        for (const p of source.hostedPartitions()) this.set({ topic: p.topic, partition: p.index }, p.log.sizeBytes);
      },
    });
    new Gauge({
      name: 'kb_consumer_group_lag',
      help: 'High watermark minus committed offset, for groups this broker coordinates and partitions whose log it holds',
      labelNames: ['group', 'topic', 'partition'] as const,
      registers,
      collect() {
        this.reset();
        const hosted = new Map(source.hostedPartitions().map((p) => [`${p.topic}\0${p.index}`, p]));
        for (const c of source.committedOffsets()) {
          const partition = hosted.get(`${c.topic}\0${c.partition}`);
          if (partition === undefined) continue;
          const lag = partition.highWatermark - c.offset;
          this.set({ group: c.groupId, topic: c.topic, partition: c.partition }, Number(lag > 0n ? lag : 0n));
        }
      },
    });
  }

  /** A client's batch of `records` records (`bytes` long) was appended to `topic`. */
  produced(topic: string, bytes: number, records: number): void {
    const counters = this.topic(topic);
    counters.bytesIn.inc(bytes);
    counters.messagesIn.inc(records);
  }

  /** `records` records (`bytes` long) were served to a consumer from `topic`. */
  consumed(topic: string, bytes: number, records: number): void {
    const counters = this.topic(topic);
    counters.bytesOut.inc(bytes);
    counters.messagesOut.inc(records);
  }

  /** A request of `apiKey` took `seconds` from decode to response. */
  requestDone(apiKey: number, seconds: number): void {
    let child = this.apis.get(apiKey);
    if (child === undefined) {
      child = this.requestSeconds.labels(apis[apiKey as keyof typeof apis]?.name ?? `api${apiKey}`);
      this.apis.set(apiKey, child);
    }
    child.observe(seconds);
  }

  /** The ISR of a partition this broker leads changed. */
  isrChanged(previous: readonly number[], next: readonly number[]): void {
    if (next.length < previous.length) this.isrShrinks.inc();
    else if (next.length > previous.length) this.isrExpands.inc();
  }

  private topic(topic: string): TopicCounters {
    let counters = this.topics.get(topic);
    if (counters === undefined) {
      counters = {
        bytesIn: this.bytesIn.labels(topic),
        messagesIn: this.messagesIn.labels(topic),
        bytesOut: this.bytesOut.labels(topic),
        messagesOut: this.messagesOut.labels(topic),
      };
      this.topics.set(topic, counters);
    }
    return counters;
  }
}

/** Partitions in the image without a leader. */
function offlinePartitions(image: MetadataImage): number {
  let count = 0;
  for (const topic of image.topicsByName.values()) {
    for (const p of topic.partitions) if (p.leader === noLeader) count++;
  }
  return count;
}

