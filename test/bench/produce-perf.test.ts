/**
 * runProducePerf's send window: unthrottled, at most `windowBytes` of
 * records (and `windowRecords` records) are handed to the producer and not
 * yet acknowledged, whichever bound is lower, so the latency it reports is
 * not a queue of its own making. A fake producer acknowledges everything
 * outstanding on the next turn and counts what was outstanding at most.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProducePerf } from '../../src/bench/produce-perf.ts';
import type { Acknowledged, Producer } from '../../src/client/producer.ts';

function fakeProducer() {
  let outstanding: Acknowledged[] = [];
  let most = 0;
  const ackAll = () => {
    const acks = outstanding;
    outstanding = [];
    for (const ack of acks) ack(null, { topic: 't', partition: 0, offset: 0n });
  };
  const producer = {
    send(_topic: string, _record: unknown, acknowledged: Acknowledged) {
      outstanding.push(acknowledged);
      most = Math.max(most, outstanding.length);
      if (outstanding.length === 1) setImmediate(ackAll);
    },
    async flush() {
      ackAll();
    },
  } as unknown as Producer;
  return { producer, most: () => most };
}

const run = (producer: Producer, recordSize: number, windowRecords: number, windowBytes: number) =>
  runProducePerf(producer, { topic: 't', records: 5000, recordSize, throughput: null, windowRecords, windowBytes, timeLimitMs: 60_000 });

test('unthrottled, the bytes window bounds the records outstanding below the records window', async () => {
  const fake = fakeProducer();
  const result = await run(fake.producer, 1024, 50_000, 64 * 1024);
  assert.equal(result.records, 5000);
  assert.equal(fake.most(), 64);
});

test('the records window applies when it is the lower bound, and a record larger than the bytes window still goes', async () => {
  const small = fakeProducer();
  await run(small.producer, 10, 100, 1024 * 1024);
  assert.equal(small.most(), 100);
  const large = fakeProducer();
  const result = await run(large.producer, 4096, 100, 1024);
  assert.equal(result.records, 5000);
  assert.equal(large.most(), 1);
});
