import amqp, { type ChannelModel } from 'amqplib';

/** One RabbitMQ node the gateway may connect to. */
export interface BrokerNode {
  url: string;
  /** The URL without its password, for the log lines. */
  endpoint: string;
}

export interface Backoff {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** Each delay is spread by up to this fraction either way, so that gateways do not retry in step. */
  jitter: number;
}

/** The backoff the publisher has always reconnected with: 200 ms, doubling, at most 5 s. */
export const RECONNECT_BACKOFF: Backoff = { initialDelayMs: 200, maxDelayMs: 5000, factor: 2, jitter: 0.2 };

/**
 * A node that never answers (a dropped route, a host that is gone) would otherwise hold an attempt for
 * as long as the operating system waits for a TCP connect, minutes during which no other node is tried.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The delay before reconnect attempt `attempt` (1, 2, ...), as amqplib's recovery computes it: the
 * exponential base is capped below the maximum by the jitter, so that no draw exceeds the maximum and
 * the draws near it do not all collapse onto it.
 */
export function reconnectDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxDelayMs / (1 + backoff.jitter), backoff.initialDelayMs * backoff.factor ** (attempt - 1));
  const spread = base * backoff.jitter;
  return Math.max(0, Math.round(base + (random() * 2 - 1) * spread));
}

export interface RoundRobinHandlers {
  /**
   * Prepares a new connection (channels, topology) before it counts as up. A rejection closes it and
   * counts as a failed attempt at that node.
   */
  setup(model: ChannelModel, node: BrokerNode): Promise<void>;
  /** An attempt at `node` failed; `next` is tried after the backoff. */
  attemptFailed(error: Error, node: BrokerNode, next: BrokerNode): void;
  /** The connection to `node`, which was up, is lost; `next` is tried after the backoff. */
  lost(error: Error, node: BrokerNode, next: BrokerNode): void;
  /** An error the connection reported on its way to closing (`lost` follows). */
  error(error: Error): void;
}

export interface RoundRobinOptions {
  backoff?: Backoff;
  /** Opens an AMQP connection to a URL (tests replace it). */
  open?: (url: string) => Promise<ChannelModel>;
  random?: () => number;
}

/**
 * Keeps one connection open to one of several broker nodes. Every attempt, and every attempt after a
 * connection is lost, goes to the node after the last one tried (round robin), after the backoff,
 * which grows with each failed attempt whichever node it was at and starts again once a connection
 * is up. amqplib's own recovery reconnects to a single URL only, hence this.
 */
export class RoundRobinConnection {
  private model: ChannelModel | undefined;
  /** Index of the node the next attempt goes to. */
  private next = 0;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly backoff: Backoff;
  private readonly open: (url: string) => Promise<ChannelModel>;
  private readonly random: () => number;

  constructor(
    private readonly nodes: readonly BrokerNode[],
    private readonly handlers: RoundRobinHandlers,
    options: RoundRobinOptions = {},
  ) {
    if (nodes.length === 0) throw new Error('at least one broker node is needed');
    this.backoff = options.backoff ?? RECONNECT_BACKOFF;
    this.open = options.open ?? ((url) => amqp.connect(url, { timeout: CONNECT_TIMEOUT_MS }));
    this.random = options.random ?? Math.random;
  }

  /** Starts connecting in the background. */
  start(): void {
    void this.connect();
  }

  /** Stops reconnecting and closes the connection that is up, if any. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const model = this.model;
    this.model = undefined;
    await model?.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const node = this.nodes[this.next]!;
    this.next = (this.next + 1) % this.nodes.length;
    let model: ChannelModel | undefined;
    let closedDuringSetup: Error | undefined;
    let up = false;
    try {
      model = await this.open(node.url);
      const opened = model;
      // A ChannelModel without an 'error' listener would throw it at the process.
      opened.on('error', (error: Error) => this.handlers.error(error));
      opened.once('close', (error?: Error) => {
        const reason = error ?? new Error('Connection closed');
        if (!up) {
          closedDuringSetup = reason;
          return;
        }
        if (this.model !== opened) return;
        this.model = undefined;
        if (this.stopped) return;
        this.handlers.lost(reason, node, this.nodes[this.next]!);
        this.schedule();
      });
      if (this.stopped) throw new Error('closed while connecting');
      await this.handlers.setup(opened, node);
      if (closedDuringSetup) throw closedDuringSetup;
      if (this.stopped) throw new Error('closed while connecting');
    } catch (error) {
      await model?.close().catch(() => undefined);
      if (this.stopped) return;
      this.handlers.attemptFailed(error instanceof Error ? error : new Error(String(error)), node, this.nodes[this.next]!);
      this.schedule();
      return;
    }
    up = true;
    this.model = model;
    this.attempt = 0;
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, reconnectDelay(this.backoff, this.attempt, this.random));
  }
}
