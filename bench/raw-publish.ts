import amqp, { type Options } from 'amqplib';

/**
 * The broker's own limit on this machine: amqplib alone publishing `count` persistent messages of
 * `size` bytes with publisher confirms, through a topic exchange to a durable quorum queue (the
 * gateway's path), with a consumer draining the queue as in the gateway run. Timed until the last
 * message is both confirmed and consumed. `properties(i)` gives each message's AMQP properties; the
 * default is the bare minimum (persistent, messageId, contentType).
 */
export async function measureRawPublish(
  url: string,
  count: number,
  size: number,
  properties: (i: number) => Options.Publish = (i) => ({ persistent: true, messageId: String(i), contentType: 'application/json' }),
): Promise<{ recordsPerSecond: number; confirmedPerSecond: number }> {
  const connection = await amqp.connect(url);
  const id = Date.now();
  const exchange = `bench.raw.${id}`;
  const queue = `bench.raw.${id}`;
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true, autoDelete: false });
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.bindQueue(queue, exchange, '#');
    const consumer = await connection.createChannel();
    await consumer.prefetch(1000);
    let consumed = 0;
    const allConsumed = new Promise<void>((resolve) => {
      void consumer.consume(queue, (message) => {
        if (!message) return;
        consumer.ack(message);
        if (++consumed === count) resolve();
      });
    });
    const body = Buffer.alloc(size, 'x');
    const started = performance.now();
    let confirmed = 0;
    const allConfirmed = new Promise<void>((resolve, reject) => {
      void (async () => {
        for (let i = 0; i < count; i++) {
          const ok = channel.publish(exchange, 'member.added.eu', body, properties(i), (error) => {
            if (error) reject(new Error('nacked'));
            else if (++confirmed === count) resolve();
          });
          if (!ok) await new Promise((r) => channel.once('drain', r));
        }
      })();
    });
    await allConfirmed;
    const confirmedAt = performance.now();
    await allConsumed;
    const seconds = (performance.now() - started) / 1000;
    await channel.deleteQueue(queue);
    await channel.deleteExchange(exchange);
    return { recordsPerSecond: Math.round(count / seconds), confirmedPerSecond: Math.round(count / ((confirmedAt - started) / 1000)) };
  } finally {
    await connection.close();
  }
}
