import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { CliError } from '../cli-error.js';
import { jsonLine, tableHeader, tableRow, toDeliveredRecord } from './record-lines.js';

export type TailSource = { queue: string } | { exchange: string; pattern: string };

export interface TailOptions {
  amqpUrl: string;
  source: TailSource;
  format: 'json' | 'table';
  output: Writable;
  /** Stop after printing this many records. */
  limit?: number;
  /** Most records delivered and not yet printed at once. */
  prefetch?: number;
  /** Stops tailing (Ctrl-C). */
  signal?: AbortSignal;
  /** Called once consuming has started, with the queue consumed. */
  onReady?: (queue: string) => void;
}

/**
 * Prints records from a queue as they arrive, and acknowledges each only once its line has been
 * written: whatever was delivered but not printed (after the limit, on Ctrl-C, when the output
 * closes) is left unacknowledged and goes back to the queue when the channel closes.
 *
 * A `queue` source consumes that durable queue (records printed are taken from it); an
 * `exchange`+`pattern` source binds a temporary exclusive queue, so it sees only records published
 * from now on and takes nothing from anyone.
 */
export function tailRecords(options: TailOptions): Promise<{ printed: number }> {
  return withQueue(options.amqpUrl, options.source, ({ channel, queue }) => consume(channel, queue, options));
}

/**
 * Connects, opens a channel and the source's queue, runs `work` on them, and closes both whatever
 * happens: the channel first, which makes sure the broker has the acks (frames of one channel keep
 * their order, but a connection close can overtake them).
 */
export async function withQueue<T>(amqpUrl: string, source: TailSource, work: (opened: { connection: ChannelModel; channel: Channel; queue: string }) => Promise<T>): Promise<T> {
  const connection = await connectBroker(amqpUrl);
  let channel: Channel | undefined;
  try {
    channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const queue = await openQueue(channel, source);
    return await work({ connection, channel, queue });
  } finally {
    await channel?.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
  }
}

/** Connects to the broker: exit code 6 when it refuses (credentials, vhost), 5 when it cannot be reached. */
async function connectBroker(amqpUrl: string): Promise<ChannelModel> {
  let connection: ChannelModel;
  try {
    connection = await amqp.connect(amqpUrl);
  } catch (error) {
    const message = (error as Error).message;
    // Credentials or a vhost the broker refuses: it answered, and said no.
    if (/ACCESS[-_]REFUSED|NOT[-_]ALLOWED/i.test(message)) throw new CliError('refused', `the broker refused the connection: ${message}`);
    throw new CliError('unreachable', `cannot connect to the broker: ${message}`);
  }
  // A refused passive declaration closes the channel with an error; it is reported by the caller.
  connection.on('error', () => undefined);
  return connection;
}

/** The queue to consume: a durable one that must exist, or a temporary exclusive one bound to the pattern. */
async function openQueue(channel: Channel, source: TailSource): Promise<string> {
  if ('queue' in source) {
    await channel.checkQueue(source.queue).catch(() => {
      throw new CliError('refused', `there is no queue ${source.queue}`);
    });
    return source.queue;
  }
  await channel.checkExchange(source.exchange).catch(() => {
    throw new CliError('refused', `there is no exchange ${source.exchange}`);
  });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, source.exchange, source.pattern);
  return queue;
}

async function consume(channel: Channel, queue: string, options: TailOptions): Promise<{ printed: number }> {
  const limit = options.limit ?? Infinity;
  await channel.prefetch(Math.max(1, Math.min(options.prefetch ?? 20, limit)));
  let printed = 0;
  let writing = 0;
  let stopping = false;
  let failure: Error | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const settleIfIdle = (): void => {
    if (stopping && writing === 0) finish();
  };

  // Deliveries can arrive before consume() resolves, so the tag is chosen here, not taken from its answer.
  const consumerTag = `mra-consumer-${randomUUID()}`;
  await channel.consume(queue, (message: ConsumeMessage | null) => {
    if (message === null) {
      failure ??= new CliError('refused', `the queue ${queue} was deleted`);
      stop();
      return;
    }
    if (stopping) return; // not printed: left unacknowledged, requeued on close
    if (printed === 0 && options.format === 'table') options.output.write(tableHeader());
    const delivered = toDeliveredRecord(message);
    printed++;
    writing++;
    options.output.write(options.format === 'json' ? jsonLine(delivered) : tableRow(delivered), (error) => {
      writing--;
      if (error) {
        failure ??= new CliError('output-closed', `cannot write: ${error.message}`);
        stop();
      } else {
        try {
          channel.ack(message);
        } catch {
          // The channel is gone; the broker requeues what was not acknowledged.
        }
      }
      settleIfIdle();
    });
    if (printed >= limit) stop();
  }, { consumerTag });
  options.onReady?.(queue);

  function stop(): void {
    if (stopping) return;
    stopping = true;
    channel.cancel(consumerTag).catch(() => undefined);
    settleIfIdle();
  }
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();

  await finished;
  options.signal?.removeEventListener('abort', stop);
  if (failure) throw failure;
  return { printed };
}
