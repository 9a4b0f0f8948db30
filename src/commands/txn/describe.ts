/**
 * `kb txn describe ID`: a transactional id as its coordinator sees it:
 * state, producer id and epoch, timeout, when the open transaction started
 * and its partitions (DescribeTransactions). An unknown id is an error
 * (exit 1).
 */
import { Args } from '@oclif/core';
import { TransactionAdmin } from '../../client/transactions.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

export default class TxnDescribe extends KbCommand {
  static override description = 'Describe a transactional id: state, producer, timeout and the partitions of its open transaction';
  static override enableJsonFlag = true;
  static override args = { 'transactional-id': Args.string({ description: 'transactional id', required: true }) };

  async run() {
    const { args } = await this.parse(TxnDescribe);
    const id = args['transactional-id'];
    const txn = await new TransactionAdmin(await this.cluster()).describe(id);
    if (txn === null) throw new UserError(`transactional id '${id}' is not known (kb txn list shows the transactional ids)`);
    const started = txn.startTimeMs === null ? null : new Date(txn.startTimeMs).toISOString();
    this.log(
      `TRANSACTIONAL-ID  ${txn.transactionalId}\nSTATE             ${txn.state}\nPRODUCER          ${txn.producerId} (epoch ${txn.producerEpoch})\n` +
        `TIMEOUT           ${txn.timeoutMs} ms\nSTARTED           ${started ?? '-'}`,
    );
    const partitions = txn.partitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
    if (partitions.length > 0) this.log(`\n${renderTable(['TOPIC', 'PARTITION'], partitions.map((p) => [p.topic, p.partition]))}`);
    return {
      transactionalId: txn.transactionalId,
      state: txn.state,
      producerId: Number(txn.producerId),
      producerEpoch: txn.producerEpoch,
      timeoutMs: txn.timeoutMs,
      startTime: started,
      partitions,
    };
  }
}
