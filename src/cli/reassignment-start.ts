/**
 * Starting partition moves, the one way `kb partitions reassign` and
 * `kb partitions balance --execute` both do it: after the plan is printed
 * and confirmed (prompts.ts confirmChange), the current replicas of the
 * partitions that change are saved to a rollback file (Kafka's
 * reassignment JSON, written atomically; `kb partitions reassign --plan`
 * with it undoes the move), then AlterPartitionReassignments starts the
 * moves. A move the controller refuses is a UserError naming each.
 */
import type { Admin } from '../client/admin.ts';
import { errorName } from '../protocol/errors.ts';
import { writeFileAtomically } from '../storage/atomic-write.ts';
import { nodeStorageFs } from '../storage/fs.ts';
import { UserError } from './kb-command.ts';
import { formatPlan } from './reassignment-plan.ts';

export interface ChangingPartition {
  topic: string;
  partition: number;
  current: number[];
  target: number[];
}

/** `--rollback-out`'s default: kb-reassign-rollback-<time>.json in the working directory. */
export function defaultRollbackFile(now = new Date()): string {
  return `kb-reassign-rollback-${now.toISOString().replace(/[:.]/g, '-')}.json`;
}

/** Writes `file` whole or not at all (storage/atomic-write.ts). */
export async function writeAtomically(file: string, text: string): Promise<void> {
  try {
    await writeFileAtomically(nodeStorageFs, file, Buffer.from(text));
  } catch (err) {
    throw new UserError(`cannot write ${file}: ${(err as Error).message}`);
  }
}

/** Saves the current assignment of `changing` to `rollbackFile`; `log` says where and how to undo. */
export async function saveRollback(changing: readonly ChangingPartition[], rollbackFile: string, log: (line: string) => void): Promise<void> {
  await writeAtomically(rollbackFile, formatPlan(changing.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.current }))));
  log(`current assignment saved to ${rollbackFile} (undo with: kb partitions reassign --plan ${rollbackFile})`);
}

/** Starts the moves; throws a UserError naming the refused ones (the others did start). */
export async function startMoves(admin: Admin, changing: readonly ChangingPartition[]): Promise<void> {
  const results = await admin.alterPartitionReassignments(changing.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.target })));
  const failed = results.filter((r) => r.errorCode !== 0);
  if (failed.length > 0) {
    const started = results.length - failed.length;
    throw new UserError(
      `${started} move(s) started, ${failed.length} refused:\n` + failed.map((r) => `  ${r.topic}/${r.partition}: ${r.errorMessage ?? errorName(r.errorCode)}`).join('\n'),
    );
  }
}
