/**
 * confluent-kafka 1.7.0 (Python, on librdkafka 2.0.2) against a real `kb
 * broker start`: an idempotent producer (enable.idempotence=true, so
 * InitProducerId, acks=all and sequence numbers) once per compression codec,
 * then an assigned Consumer reading every record back. librdkafka compresses
 * whole batches, so each codec's decoder and the broker's batch validation
 * are on the path. The Python side is scripts/confluent_roundtrip.py.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { runPythonScript } from '../helpers/python.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { assertSameRecords, uniqueTopic, withOffsets, type StoredRecord } from '../helpers/records.ts';

interface Output {
  expected: Omit<StoredRecord, 'offset'>[];
  reports: { index: number; error: string | null; partition: number; offset: number; key: string | null }[];
  notDelivered: number;
  consumed: StoredRecord[];
  consumeErrors: string[];
  clientErrors: string[];
  watermarks: Record<string, [number, number]>;
}

const partitions = 2;
const recordCount = 60;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  test(`confluent-kafka: idempotent producer with compression.type=${compression}, assigned consumer reads every record back`, async (t) => {
    if (!requireTool(t, tools.confluentKafka)) return;
    const topic = uniqueTopic(`confluent-${compression}`);
    const out = await runPythonScript<Output>('confluent_roundtrip.py', {
      bootstrap: broker.address,
      topic,
      partitions,
      records: recordCount,
      compression,
    });
    const problems = { clientErrors: out.clientErrors, consumeErrors: out.consumeErrors };

    assert.equal(out.notDelivered, 0, `every record delivered; ${JSON.stringify(problems)}`);
    const failed = out.reports.filter((r) => r.error !== null);
    assert.deepEqual(failed, [], 'no delivery report carries an error');
    const expected = withOffsets(out.expected);
    assert.deepEqual(
      out.reports.map((r) => ({ partition: r.partition, offset: r.offset })).sort((a, b) => a.partition - b.partition || a.offset - b.offset),
      expected.map((r) => ({ partition: r.partition, offset: r.offset })).sort((a, b) => a.partition - b.partition || a.offset - b.offset),
      'delivery reports: the offsets the broker assigned',
    );
    for (const report of out.reports) {
      assert.equal(report.offset, expected[report.index].offset, `record #${report.index} got the offset of its place in the partition`);
    }
    assertSameRecords(out.consumed, expected, `compression ${compression}: records read back by the assigned consumer`);
    assert.deepEqual(out.consumeErrors, [], 'the consumer saw no errors');
    assert.deepEqual(out.clientErrors, [], 'librdkafka reported no client errors (error_cb)');

    const watermarks: Record<string, [number, number]> = {};
    for (let p = 0; p < partitions; p++) watermarks[p] = [0, expected.filter((r) => r.partition === p).length];
    assert.deepEqual(out.watermarks, watermarks, 'get_watermark_offsets: low 0, high = records in the partition');

    assertSameRecords(await kcatConsumeAll(broker.address, topic), expected, `compression ${compression}: the same records read by kcat`);
  });
}
