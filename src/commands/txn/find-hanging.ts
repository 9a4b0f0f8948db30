/**
 * `kb txn find-hanging`: transactions left open on partitions longer than
 * any transaction may last (--max-age, default 15 minutes: Kafka's
 * transaction.max.timeout.ms), like kafka-transactions.sh find-hanging:
 * per partition the producer, its epoch, the transaction's first offset
 * and when its producer last wrote (DescribeProducers at the leaders).
 * `--topic` (repeatable) narrows it; by default every topic.
 */
import { Flags } from '@oclif/core';
import { TransactionAdmin } from '../../client/transactions.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

const defaultMaxAgeMs = 15 * 60_000;

export default class TxnFindHanging extends KbCommand {
  static override description = 'Find transactions left open on partitions longer than any transaction may last';
  static override enableJsonFlag = true;
  static override flags = {
    topic: Flags.string({ description: 'only this topic; repeatable', multiple: true }),
    'max-age': Flags.integer({ description: 'ms a transaction may stay open (default 900000, transaction.max.timeout.ms)', min: 0, default: defaultMaxAgeMs }),
  };

  async run() {
    const { flags } = await this.parse(TxnFindHanging);
    const found = await new TransactionAdmin(await this.cluster()).findHanging(flags.topic ?? [], flags['max-age'], Date.now());
    const hanging = found.map((h) => ({
      topic: h.topic,
      partition: h.partition,
      producerId: Number(h.producerId),
      producerEpoch: h.producerEpoch,
      coordinatorEpoch: h.coordinatorEpoch,
      startOffset: Number(h.startOffset),
      lastTimestamp: new Date(h.lastTimestampMs).toISOString(),
    }));
    if (hanging.length > 0) {
      this.log(
        renderTable(
          ['TOPIC', 'PARTITION', 'PRODUCER-ID', 'EPOCH', 'START-OFFSET', 'LAST-WRITE'],
          hanging.map((h) => [h.topic, h.partition, h.producerId, h.producerEpoch, h.startOffset, h.lastTimestamp]),
        ),
      );
    }
    return { hanging };
  }
}
