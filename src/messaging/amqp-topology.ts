import type { Channel } from 'amqplib';

/** Names of what the gateway declares on the broker (configurable so test runs do not collide). */
export interface TopologyNames {
  /** Topic exchange the records are published to. */
  exchange: string;
  /** Default quorum queue bound to `member.#`; empty to declare none. */
  queue: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
}

/** After this many deliveries without an ack, the quorum queue dead-letters a record instead of looping on it. */
export const DELIVERY_LIMIT = 20;

/**
 * Declares the exchange and, out of the box, a quorum queue with a dead-letter exchange and queue, so
 * a consumer sees records without any set-up of its own (ICD 2). Declarations are idempotent and run
 * after every (re)connection.
 */
export async function declareTopology(channel: Channel, names: TopologyNames): Promise<void> {
  await channel.assertExchange(names.exchange, 'topic', { durable: true });
  if (names.queue === '') return;
  await channel.assertExchange(names.deadLetterExchange, 'topic', { durable: true });
  await channel.assertQueue(names.deadLetterQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(names.deadLetterQueue, names.deadLetterExchange, '#');
  await channel.assertQueue(names.queue, {
    durable: true,
    arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': names.deadLetterExchange, 'x-delivery-limit': DELIVERY_LIMIT },
  });
  await channel.bindQueue(names.queue, names.exchange, 'member.#');
}
