/**
 * `kb txn list`: every transactional id the cluster's coordinators know,
 * with its producer id, state and coordinator; `--state` and
 * `--min-duration` narrow it (ListTransactions).
 */
import { Flags } from '@oclif/core';
import { TransactionAdmin } from '../../client/transactions.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

export default class TxnList extends KbCommand {
  static override description = 'List transactional ids and the state of their transactions';
  static override enableJsonFlag = true;
  static override flags = {
    state: Flags.string({ description: 'only this state (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort); repeatable', multiple: true }),
    'min-duration': Flags.integer({ description: 'only transactions open at least this many ms', min: 0 }),
  };

  async run() {
    const { flags } = await this.parse(TxnList);
    const listed = await new TransactionAdmin(await this.cluster()).list({ states: flags.state, minDurationMs: flags['min-duration'] });
    const transactions = listed.map((t) => ({ transactionalId: t.transactionalId, producerId: Number(t.producerId), state: t.state, coordinator: t.coordinator }));
    if (transactions.length > 0) {
      this.log(renderTable(['TRANSACTIONAL-ID', 'PRODUCER-ID', 'STATE', 'COORDINATOR'], transactions.map((t) => [t.transactionalId, t.producerId, t.state, t.coordinator])));
    }
    return { transactions };
  }
}
