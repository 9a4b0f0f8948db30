/**
 * Round trips through a consumer group with the Node clients, for tests that
 * run them over each kind of listener: kafkajs produces values to partition
 * 0 (acks=all) and reads them back in a new group; @platformatic/kafka reads
 * a topic from the beginning in a new group (its stream API). Each returns
 * the values read, in order, waiting by deadline; the clients are closed
 * after `t`.
 */
import type { TestContext } from 'node:test';
import { Consumer, stringDeserializers, type ConsumerOptions } from '@platformatic/kafka';
import type { Kafka } from 'kafkajs';
import { uniqueTopic, withTimeout } from './records.ts';

/** `sent` produced with `kafka`, then consumed by a new group named after `group`. */
export async function kafkajsGroupRoundTrip(t: TestContext, kafka: Kafka, topic: string, sent: string[], group: string): Promise<string[]> {
  const producer = kafka.producer();
  await withTimeout(producer.connect(), 15_000, 'kafkajs producer.connect');
  t.after(() => producer.disconnect());
  await withTimeout(producer.send({ topic, acks: -1, messages: sent.map((value) => ({ value, partition: 0 })) }), 15_000, 'kafkajs send');
  const consumer = kafka.consumer({ groupId: uniqueTopic(group) });
  await withTimeout(consumer.connect(), 15_000, 'kafkajs consumer.connect');
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const consumed: string[] = [];
  const all = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        consumed.push(message.value!.toString());
        if (consumed.length === sent.length) resolve();
      },
    });
  });
  await withTimeout(all, 30_000, `kafkajs consuming ${sent.length} records`);
  return consumed;
}

/** `count` values of `topic` read by a new group named after `group`, connecting with `options` (bootstrap, client id, TLS, SASL). */
export async function platformaticGroupRead(
  t: TestContext,
  options: Pick<ConsumerOptions<string, string, string, string>, 'bootstrapBrokers' | 'clientId' | 'tls' | 'sasl'>,
  topic: string,
  count: number,
  group: string,
): Promise<string[]> {
  const consumer = new Consumer({ ...options, groupId: uniqueTopic(group), deserializers: stringDeserializers });
  t.after(() => consumer.close(true));
  const stream = await withTimeout(consumer.consume({ topics: [topic], mode: 'earliest' }), 20_000, 'platformatic consume');
  const consumed: string[] = [];
  await withTimeout(
    (async () => {
      for await (const message of stream) {
        consumed.push(message.value as string);
        if (consumed.length === count) break;
      }
    })(),
    30_000,
    'platformatic consuming',
  );
  await stream.close();
  return consumed;
}
