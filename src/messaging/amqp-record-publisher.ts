import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { EventEmitter } from 'node:events';
import type { Logger } from 'winston';
import { ConditionLog } from '../logging/condition-log.js';
import type { PendingRecord, RecordPublisher } from '../outbox/outbox-ports.js';
import { declareTopology, type TopologyNames } from './amqp-topology.js';
import { brokerFailureReason } from './broker-failure.js';
import { recordProperties } from './record-message.js';
import { RoundRobinConnection, type BrokerNode } from './round-robin-connection.js';

/** How long a stop waits for the broker to acknowledge the close. */
const CLOSE_TIMEOUT_MS = 2000;

/** The broker refused to declare the exchange or queues (a connect-failed reason of its own). */
class TopologyRefusedError extends Error {
  constructor(cause: unknown) {
    super(`the broker refused the topology: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'TopologyRefusedError';
  }
}

export class UnroutableRecordError extends Error {
  constructor(routingKey: string) {
    super(`no queue is bound for routing key ${routingKey}; the record stays in the outbox`);
    this.name = 'UnroutableRecordError';
  }
}

/**
 * Publishes records on a confirm channel of a connection kept open to one of the broker nodes (see
 * RoundRobinConnection). The channel and the topology are set up again after every reconnect; a
 * channel that the broker closed while the connection stayed up is reopened here.
 */
export class AmqpRecordPublisher extends EventEmitter implements RecordPublisher {
  private channel: ConfirmChannel | undefined;
  private model: ChannelModel | undefined;
  /** The node of `model`. */
  private node: BrokerNode | undefined;
  private readonly returned = new Set<string>();
  private closing = false;
  blocked = false;
  /**
   * Connection failures and recoveries of each node, said at warn once and then at most once a minute.
   * One log per node: while the publisher goes round the nodes, one log for all would see the reason
   * change at every attempt (refused here, a timeout there) and say each of them.
   */
  private readonly availability: Map<BrokerNode, ConditionLog>;
  private connection: RoundRobinConnection | undefined;

  private constructor(
    private readonly exchange: string,
    private readonly logger: Logger,
    private readonly nodes: readonly BrokerNode[],
  ) {
    super();
    this.availability = new Map(nodes.map((node) => [node, new ConditionLog(logger, 'broker')]));
  }

  /**
   * Starts connecting in the background; the gateway serves intake whether or not the broker is up.
   * `nodes` are the broker's nodes, tried in turn: the first that answers is used, and when its
   * connection is lost the next one is tried.
   */
  static async start(nodes: readonly BrokerNode[], topology: TopologyNames, logger: Logger): Promise<AmqpRecordPublisher> {
    const publisher = new AmqpRecordPublisher(topology.exchange, logger, nodes);
    const connection = new RoundRobinConnection(nodes, {
      setup: async (model, node) => {
        publisher.model = model;
        publisher.node = node;
        publisher.watch(model);
        logger.info('connected to a broker node', { endpoint: node.endpoint, ...publisher.position(node) });
        try {
          await publisher.openChannel(model, topology);
        } catch (error) {
          // The connection opened but the topology could not be declared (permissions, a queue or
          // exchange that exists with other arguments): the connection is closed and tried again.
          throw new TopologyRefusedError(error);
        }
      },
      attemptFailed: (error, node, next) => publisher.failed(error, node, next),
      lost: (error, node, next) => {
        publisher.model = undefined;
        if (!publisher.closing) publisher.failed(error, node, next);
      },
      error: (error) => logger.debug('broker connection error', { error: error.message }),
    });
    publisher.connection = connection;
    connection.start();
    return publisher;
  }

  get connected(): boolean {
    return this.channel !== undefined;
  }

  publish(record: PendingRecord): Promise<void> {
    const channel = this.channel;
    if (!channel) return Promise.reject(new Error('not connected to the broker'));
    return new Promise((resolve, reject) => {
      const ok = channel.publish(this.exchange, record.routingKey, Buffer.from(record.body), recordProperties(record), (error: unknown) => {
        // The broker sends basic.return before the ack of an unroutable mandatory message.
        const wasReturned = this.returned.delete(record.eventId);
        if (error) reject(error instanceof Error ? error : new Error('the broker refused the record (nack)'));
        else if (wasReturned) reject(new UnroutableRecordError(record.routingKey));
        else resolve();
      });
      if (!ok) this.blocked = true;
    });
  }

  /**
   * Closes politely, but not forever: a broker that went silent (a dropped route) never answers the
   * close, and a stop must fit an orchestrator's grace period. After CLOSE_TIMEOUT_MS the socket is
   * dropped; unconfirmed records are still in the outbox and are published after the restart.
   */
  async close(): Promise<void> {
    this.closing = true;
    const channel = this.channel;
    const model = this.model;
    this.channel = undefined;
    const polite = (async () => {
      await channel?.close().catch(() => undefined);
      await this.connection?.close().catch(() => undefined);
    })();
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      polite.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), CLOSE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (gaveUp) {
      this.logger.warn('the broker did not answer the close in time; dropping the connection');
      // amqplib keeps the socket on the model's connection; its typings do not show it.
      (model?.connection as { stream?: { destroy(): void } } | undefined)?.stream?.destroy();
    }
  }

  private async openChannel(model: ChannelModel, topology: TopologyNames): Promise<void> {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error: Error) => this.logger.warn('broker channel error', { error: error.message }));
    channel.on('return', (message: { properties: { messageId?: string } }) => {
      if (message.properties.messageId) this.returned.add(message.properties.messageId);
    });
    channel.on('drain', () => {
      this.blocked = false;
      this.emit('drain');
    });
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      this.blocked = false;
      this.emit('disconnected');
      // A channel can close while its connection stays up (a declaration or publish the broker refused).
      if (!this.closing && this.model === model) {
        setTimeout(() => {
          if (!this.closing && this.model === model && !this.channel) {
            this.openChannel(model, topology).catch((error: unknown) => this.logger.warn('cannot reopen broker channel', { error: String(error) }));
          }
        }, 1000).unref();
      }
    });
    await declareTopology(channel, topology);
    this.channel = channel;
    this.logger.info('broker channel ready', { exchange: topology.exchange });
    if (this.node) this.availability.get(this.node)?.recovered({ endpoint: this.node.endpoint });
    this.emit('connected');
  }

  /**
   * Every failed attempt while the node stays unreachable, and the loss of the node in use: its
   * condition log says the first one and any change of reason at once, the same again at most once a
   * minute. With several nodes the line also names the node tried next.
   */
  private failed(error: Error, node: BrokerNode, next: BrokerNode): void {
    const reason = error instanceof TopologyRefusedError ? 'topology-refused' : brokerFailureReason(error);
    const movingOn = this.nodes.length > 1 ? { ...this.position(node), next: next.endpoint } : {};
    this.availability.get(node)?.failed(reason, { endpoint: node.endpoint, ...movingOn, error: error.message });
  }

  /** Which of several nodes `node` is, for the log lines; nothing when there is one. */
  private position(node: BrokerNode): Record<string, number> {
    return this.nodes.length > 1 ? { node: this.nodes.indexOf(node) + 1, nodes: this.nodes.length } : {};
  }

  private watch(model: ChannelModel): void {
    model.on('blocked', (reason: string) => this.logger.warn('broker blocked the connection (it is short of memory or disk): publishing waits', { reason }));
    model.on('unblocked', () => this.logger.warn('broker unblocked the connection: publishing resumes'));
  }
}
