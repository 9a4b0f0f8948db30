/**
 * `kb txn abort ID`: aborts the open transaction of a transactional id
 * whose producer died or hangs, as a new producer of the id would
 * (client/transactions.ts abortOpen): its producer is fenced (the epoch
 * moves on). An unknown id, or one without an open transaction, is an
 * error (exit 1).
 *
 * `kb txn abort --topic T --partition P --start-offset O`: aborts the
 * transaction that starts at O on that partition, for one its coordinator
 * no longer knows (a hanging transaction, as kb txn find-hanging lists
 * them): the partition's leader writes an ABORT marker for its producer
 * (client/transactions.ts abortAt), so the last stable offset moves on;
 * as kafka-transactions.sh abort, it needs ClusterAction on the cluster.
 * No transaction starting there is an error (exit 1).
 *
 * Destructive: --yes, or on a TTY the id (or TOPIC-P@O) typed back.
 */
import { Args, Flags } from '@oclif/core';
import { TransactionAdmin } from '../../client/transactions.ts';
import { KbCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { confirmDestructive } from '../../cli/prompts.ts';

const partitionFlags = ['topic', 'partition', 'start-offset'];

export default class TxnAbort extends KbCommand {
  static override description = "Abort a transactional id's open transaction, fencing its producer, or a hanging transaction on a partition";
  static override enableJsonFlag = true;
  static override args = { 'transactional-id': Args.string({ description: 'transactional id' }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a TTY)', default: false }),
    topic: Flags.string({ description: 'abort the transaction on this topic (with --partition and --start-offset)', dependsOn: partitionFlags }),
    partition: Flags.integer({ char: 'p', description: 'the partition of --topic', min: 0, dependsOn: partitionFlags }),
    'start-offset': Flags.string({ description: 'the first offset of the transaction (kb txn find-hanging shows it)', dependsOn: partitionFlags }),
  };
  static override examples = ['<%= config.bin %> txn abort my-app-1 --yes', '<%= config.bin %> txn abort --topic orders --partition 3 --start-offset 1200 --yes'];

  async run() {
    const { args, flags } = await this.parse(TxnAbort);
    const id = args['transactional-id'];
    const { topic, partition } = flags;
    if ((id === undefined) === (topic === undefined)) throw new UsageError('give a transactional id, or --topic, --partition and --start-offset (not both)');
    if (topic !== undefined) return this.abortOnPartition(topic, partition!, flags['start-offset']!, flags.yes);
    await confirmDestructive({ yes: flags.yes, expected: id!, action: `Aborting the open transaction of ${id} and fencing its producer` });
    const admin = new TransactionAdmin(await this.cluster());
    const txn = await admin.describe(id!);
    if (txn === null) throw new UserError(`transactional id '${id}' is not known (kb txn list shows the transactional ids)`);
    if (txn.state !== 'Ongoing') throw new UserError(`transactional id '${id}' has no open transaction (state ${txn.state})`);
    const after = await admin.abortOpen(txn);
    this.log(`aborting the transaction of ${id} (producer ${txn.producerId}, epoch ${txn.producerEpoch}): state ${after.state}, producer epoch now ${after.producerEpoch}`);
    return { transactionalId: id, producerId: Number(after.producerId), producerEpoch: after.producerEpoch, state: after.state };
  }

  private async abortOnPartition(topic: string, partition: number, startOffsetText: string, yes: boolean) {
    if (!/^\d+$/.test(startOffsetText)) throw new UsageError(`--start-offset must be an offset (a whole number), got '${startOffsetText}'`);
    const where = `${topic}-${partition}@${startOffsetText}`;
    await confirmDestructive({ yes, expected: where, action: `Writing an abort marker for the transaction starting at offset ${startOffsetText} of ${topic}-${partition}` });
    const txn = await new TransactionAdmin(await this.cluster()).abortAt(topic, partition, BigInt(startOffsetText));
    this.log(`aborted the transaction of producer ${txn.producerId} (epoch ${txn.producerEpoch}) starting at offset ${txn.startOffset} of ${topic}-${partition}`);
    return { topic, partition, producerId: Number(txn.producerId), producerEpoch: txn.producerEpoch, startOffset: Number(txn.startOffset) };
  }
}
