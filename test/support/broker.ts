import amqp, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { TopologyNames } from '../../src/messaging/amqp-topology.js';

export const BROKER_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Names unique to one test gateway, so parallel test files never see each other's records. */
export function uniqueTopology(): TopologyNames {
  const id = randomUUID().slice(0, 8);
  return {
    exchange: `test.${id}.members`,
    queue: `test.${id}.risk`,
    deadLetterExchange: `test.${id}.dlx`,
    deadLetterQueue: `test.${id}.dlq`,
  };
}

export interface ReceivedRecord {
  routingKey: string;
  properties: ConsumeMessage['properties'];
  body: Record<string, unknown> & { eventId: string; change: string; member: { key: string; [k: string]: unknown } };
}

/**
 * A CBP consumer stand-in: a queue of its own bound to the test exchange, on the real broker. It fails
 * loudly when the broker is not there: these tests never skip.
 */
export class TestConsumer {
  readonly records: ReceivedRecord[] = [];
  private listeners: (() => void)[] = [];

  private constructor(private readonly connection: ChannelModel) {}

  static async bind(exchange: string, pattern = '#'): Promise<TestConsumer> {
    let connection: ChannelModel;
    try {
      connection = await amqp.connect(BROKER_URL);
    } catch (error) {
      throw new Error(`RabbitMQ is not reachable at ${BROKER_URL}; start it (rabbitmq-server -detached). ${String(error)}`);
    }
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, pattern);
    const consumer = new TestConsumer(connection);
    await channel.consume(queue, (message) => {
      if (!message) return;
      consumer.records.push({
        routingKey: message.fields.routingKey,
        properties: message.properties,
        body: JSON.parse(message.content.toString('utf8')) as ReceivedRecord['body'],
      });
      channel.ack(message);
      for (const listener of consumer.listeners) listener();
    });
    return consumer;
  }

  /** Resolves when at least `count` records arrived; fails after `timeoutMs`. */
  waitForCount(count: number, timeoutMs = 20_000): Promise<ReceivedRecord[]> {
    if (this.records.length >= count) return Promise.resolve(this.records);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`expected ${count} records, got ${this.records.length} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        if (this.records.length < count) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve(this.records);
      };
      this.listeners.push(check);
    });
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

/** Removes what a test gateway declared, so nothing piles up on the shared broker between runs. */
export async function deleteTopology(names: TopologyNames, brokerUrl = BROKER_URL): Promise<void> {
  const connection = await amqp.connect(brokerUrl);
  try {
    const channel = await connection.createChannel();
    for (const queue of [names.queue, names.deadLetterQueue]) await channel.deleteQueue(queue);
    for (const exchange of [names.exchange, names.deadLetterExchange]) await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}
