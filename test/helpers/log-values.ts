/**
 * Reads a stopped node's partition log directory straight from disk (the
 * storage module, not a client), so a test can compare what each replica
 * holds record for record.
 */
import { Log } from '../../src/storage/log.ts';
import { recordBatches } from '../../src/protocol/records/batch-splitter.ts';
import { decodeRecordBatch } from '../../src/protocol/records/record-batch.ts';

/** Every record value in a partition log directory of a stopped node, in offset order. */
export async function valuesInLog(dir: string): Promise<string[]> {
  const log = await Log.open(dir, {});
  try {
    const values: string[] = [];
    const bytes = await log.read(log.logStartOffset, 64 * 1024 * 1024, { minOneBatch: true, maxOffset: log.logEndOffset });
    for (const span of recordBatches(bytes)) {
      for (const record of decodeRecordBatch(span.bytes).records) values.push(record.value!.toString());
    }
    return values;
  } finally {
    await log.close();
  }
}
