/**
 * `kb txn abort ID`: aborts the open transaction of a transactional id
 * whose producer died or hangs, as a new producer of the id would
 * (client/transactions.ts abortOpen): its producer is fenced (the epoch
 * moves on). Destructive: --yes, or on a TTY the id typed back. An unknown
 * id, or one without an open transaction, is an error (exit 1).
 */
import { Args, Flags } from '@oclif/core';
import { TransactionAdmin } from '../../client/transactions.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { confirmDestructive } from '../../cli/prompts.ts';

export default class TxnAbort extends KbCommand {
  static override description = "Abort a transactional id's open transaction, fencing its producer";
  static override enableJsonFlag = true;
  static override args = { 'transactional-id': Args.string({ description: 'transactional id', required: true }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a TTY)', default: false }),
  };

  async run() {
    const { args, flags } = await this.parse(TxnAbort);
    const id = args['transactional-id'];
    await confirmDestructive({ yes: flags.yes, expected: id, action: `Aborting the open transaction of ${id} and fencing its producer` });
    const admin = new TransactionAdmin(await this.cluster());
    const txn = await admin.describe(id);
    if (txn === null) throw new UserError(`transactional id '${id}' is not known (kb txn list shows the transactional ids)`);
    if (txn.state !== 'Ongoing') throw new UserError(`transactional id '${id}' has no open transaction (state ${txn.state})`);
    const after = await admin.abortOpen(txn);
    this.log(`aborting the transaction of ${id} (producer ${txn.producerId}, epoch ${txn.producerEpoch}): state ${after.state}, producer epoch now ${after.producerEpoch}`);
    return { transactionalId: id, producerId: Number(after.producerId), producerEpoch: after.producerEpoch, state: after.state };
  }
}
