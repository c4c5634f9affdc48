import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { CliError } from '../cli-error.js';
import { lineFromRecord, lineFromView, MemberState, type Applied } from './member-state.js';
import type { RegisterClient } from './register-client.js';
import { checkWritable, replaceWithLines } from './state-file.js';
import { withQueue, type TailSource } from './tail-records.js';

export interface SyncOptions {
  amqpUrl: string;
  /** A durable queue, or a temporary one bound to a pattern (opened before the export starts). */
  source: TailSource;
  register: RegisterClient;
  /** Only this administration's members (the export's filter; records of others are ignored). */
  administration?: string;
  out: string;
  /** Members per page of the export (1 to 1000). */
  pageSize: number;
  /** Records delivered ahead of being applied (during the export: held unacknowledged) at most. */
  prefetch: number;
  /** How often at most the file is written while records are applied. */
  writeIntervalMs: number;
  /** Stop once no record has arrived for this long after the export; undefined: until the signal. */
  idleMs?: number;
  signal?: AbortSignal;
  /** Progress and findings, one line at a time (stderr). */
  log: (line: string) => void;
}

export interface SyncSummary {
  /** Items of the export, and its pages. */
  exported: number;
  pages: number;
  /** Records applied (above the version held), ignored (at or below it, or of another administration, or without a version). */
  applied: number;
  ignored: number;
  /** Records that skipped versions, and how many versions they skipped in all. */
  gaps: number;
  missingVersions: number;
  /** Records that were not member records (not JSON, no member.key or version): rejected, never applied. */
  malformed: number;
  /** Members in the file (removed ones included), and how many of them are removed. */
  members: number;
  removed: number;
  writes: number;
  /** False when stopped before the export was complete: the file was not written. */
  complete: boolean;
}

export function emptySummary(): SyncSummary {
  return { exported: 0, pages: 0, applied: 0, ignored: 0, gaps: 0, missingVersions: 0, malformed: 0, members: 0, removed: 0, writes: 0, complete: false };
}

/** Gaps named one by one on stderr; the summary counts the rest. */
const MAX_GAP_LINES = 20;
const TICK_MS = 100;

/**
 * `mra consumer sync`: a local copy of the register kept current from the records.
 *
 * 1. The queue is opened and consumed first, so every record published from then on is kept (at the
 *    broker, or delivered and held unacknowledged up to the prefetch).
 * 2. Then every page of GET /v1/members?includeRemoved=true is read into the state: each member at the
 *    version its page showed.
 * 3. Then the records held and those that follow are applied: per member key the highest version
 *    wins; one at or below it is ignored (a change the export already showed, a duplicate, a
 *    redelivery), one that skips versions is applied and reported as a gap.
 *
 * A change is either in the export (accepted before its page was read) or in the queue (published
 * after the queue was bound), or both; never in neither. The file is replaced as a whole (temporary
 * file, then rename) after the export, then at most every writeIntervalMs while records change it, and
 * at the end. A record is acknowledged once applied in memory: a sync that stops or crashes before
 * writing it loses nothing, since the next one starts with a whole export again.
 */
export async function syncMembers(options: SyncOptions, summary: SyncSummary = emptySummary()): Promise<SyncSummary> {
  checkWritable(options.out);
  return withQueue(options.amqpUrl, options.source, ({ connection, channel, queue }) => new SyncRun(options, summary, connection, channel, queue).run());
}

class SyncRun {
  private readonly state = new MemberState();
  /** Delivered during the export (unacknowledged), applied after it. */
  private readonly held: ConsumeMessage[] = [];
  private exporting = true;
  private stopping = false;
  private dirty = false;
  private lastWrite = 0;
  private lastDelivery = 0;
  private failure: Error | undefined;
  private readonly consumerTag = `mra-consumer-sync-${randomUUID()}`;

  constructor(
    private readonly options: SyncOptions,
    /** Filled in as the sync goes, so that the caller can report it after a failure too. */
    private readonly summary: SyncSummary,
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    private readonly queue: string,
  ) {}

  async run(): Promise<SyncSummary> {
    const { options, channel } = this;
    const lost = (error?: Error): void => {
      if (this.stopping) return;
      this.failure ??= new CliError('unreachable', `lost the broker connection${error?.message ? `: ${error.message}` : ''}`);
      this.stopping = true;
    };
    this.connection.on('close', lost);
    channel.on('close', () => lost());
    const onAbort = (): void => {
      this.stopping = true;
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) this.stopping = true;
    try {
      await channel.prefetch(options.prefetch);
      await channel.consume(this.queue, (message) => this.deliver(message), { consumerTag: this.consumerTag });
      const shown = 'queue' in options.source ? `queue ${options.source.queue}` : `a temporary queue bound to ${options.source.pattern} on ${options.source.exchange}`;
      options.log(`consuming ${shown}; exporting the register${options.administration ? ` (${options.administration})` : ''}`);

      await this.export();
      if (this.stopping) {
        if (this.failure) throw this.failure;
        options.log(`stopped during the export: ${options.out} was not written`);
        return this.summary;
      }
      this.summary.complete = true;
      options.log(`exported ${this.summary.exported} member(s) in ${this.summary.pages} page(s); applying the ${this.held.length} record(s) that arrived meanwhile`);
      this.exporting = false;
      this.lastDelivery = Date.now();
      for (const message of this.held.splice(0)) this.handle(message);
      this.write();
      options.log(`wrote ${this.state.size} member(s) to ${options.out}; following the records (${options.idleMs !== undefined ? `stops after ${options.idleMs / 1000} s without one` : 'Ctrl-C stops'})`);

      await this.follow();
      await channel.cancel(this.consumerTag).catch(() => undefined);
      // What was applied after the last write, unless writing is what failed.
      if (this.dirty && !(this.failure instanceof CliError && this.failure.code === 'file-unreadable')) this.write();
      if (this.failure) throw this.failure;
      return this.summary;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.connection.off('close', lost);
    }
  }

  private async export(): Promise<void> {
    const { options } = this;
    const query = { includeRemoved: 'true', limit: String(options.pageSize), ...(options.administration ? { administration: options.administration } : {}) };
    for await (const page of options.register.pages(query)) {
      for (const item of page.members) {
        let line;
        try {
          line = lineFromView(item);
        } catch (error) {
          throw new CliError('unexpected-response', `the register's listing gave an item that is not a member's version: ${(error as Error).message}`);
        }
        this.state.apply(line, false);
        this.summary.exported++;
      }
      this.summary.pages++;
      if (this.summary.pages % 50 === 0) options.log(`export: ${this.summary.exported} member(s) so far`);
      if (this.stopping) return;
    }
  }

  private deliver(message: ConsumeMessage | null): void {
    if (message === null) {
      this.failure ??= new CliError('refused', `the queue ${this.queue} was deleted`);
      this.stopping = true;
      return;
    }
    if (this.stopping) return; // not applied: left unacknowledged, delivered again on a durable queue
    this.lastDelivery = Date.now();
    if (this.exporting) {
      this.held.push(message);
      return;
    }
    this.handle(message);
  }

  private handle(message: ConsumeMessage): void {
    let body: unknown;
    try {
      body = JSON.parse(message.content.toString('utf8')) as unknown;
    } catch {
      body = undefined;
    }
    const parsed = lineFromRecord(body);
    if (parsed.kind === 'malformed') {
      this.summary.malformed++;
      this.options.log(`rejected a record that is not a member record (messageId ${String(message.properties.messageId ?? '-')}): ${body === undefined ? 'not JSON' : parsed.reason}`);
      try {
        // Not requeued: on the gateway's queue it goes to the dead-letter queue, where it can be looked at.
        this.channel.nack(message, false, false);
      } catch {
        // The channel is gone: the sync stops with the broker's failure.
      }
      return;
    }
    this.ack(message);
    if (parsed.kind === 'unversioned' || (this.options.administration !== undefined && parsed.administration !== this.options.administration)) {
      // A 1.0 record is from before versions, older than anything the export showed.
      this.summary.ignored++;
      return;
    }
    this.count(this.state.apply(parsed.line, true));
  }

  private count(applied: Applied): void {
    if (applied.outcome === 'ignored') {
      this.summary.ignored++;
      return;
    }
    this.summary.applied++;
    this.dirty = true;
    if (!applied.gap) return;
    this.summary.gaps++;
    this.summary.missingVersions += applied.gap.missing;
    if (this.summary.gaps <= MAX_GAP_LINES) {
      const { key, version } = applied.line;
      const before = applied.held === 0 ? 'no version before it' : `version ${applied.held} before it`;
      this.options.log(
        `gap: ${key} version ${version} arrived with ${before}: ${applied.gap.missing} version(s) never arrived (its state was applied)${this.summary.gaps === MAX_GAP_LINES ? '; further gaps are only counted' : ''}`,
      );
    }
  }

  /**
   * Taken from the queue once applied to the state in memory, not once written: every sync starts
   * with a whole export, which holds whatever a record applied but not yet written said.
   */
  private ack(message: ConsumeMessage): void {
    try {
      this.channel.ack(message);
    } catch {
      // The channel is gone: the sync stops with the broker's failure.
    }
  }

  /** Replaces the file with the state. */
  private write(): void {
    replaceWithLines(this.options.out, this.state.jsonLines());
    this.summary.writes++;
    this.dirty = false;
    this.lastWrite = Date.now();
    this.summary.members = this.state.size;
    this.summary.removed = this.state.removed;
  }

  /** A write while following: a failure (the disk is full) stops the sync and is its result. */
  private writeOrStop(): void {
    try {
      this.write();
    } catch (error) {
      this.failure ??= error as Error;
      this.stopping = true;
    }
  }

  private follow(): Promise<void> {
    return new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = Date.now();
        if (!this.stopping && this.options.idleMs !== undefined && now - this.lastDelivery >= this.options.idleMs) this.stopping = true;
        if (this.stopping) {
          clearInterval(timer);
          resolve();
          return;
        }
        if (this.dirty && now - this.lastWrite >= this.options.writeIntervalMs) this.writeOrStop();
      };
      const timer = setInterval(tick, TICK_MS);
      tick();
    });
  }
}
