import type { Logger } from 'winston';
import { ConditionLog } from '../logging/condition-log.js';
import type { MemberHistoryStore } from '../store/gateway-store.js';

/** How often the member history is pruned when a retention is set. */
const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * Keeps the member history within MEMBER_HISTORY_RETENTION_DAYS: once an hour (and soon after start),
 * versions older than that are deleted, except each member's latest. Without a retention nothing runs.
 */
export class HistoryRetention {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | undefined;
  private readonly failures: ConditionLog;

  constructor(
    private readonly history: MemberHistoryStore,
    private readonly retentionDays: number | undefined,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.failures = new ConditionLog(logger, 'member history pruning');
  }

  start(): void {
    if (this.retentionDays === undefined) return;
    this.timers = [setTimeout(() => void this.prune(), 60_000), setInterval(() => void this.prune(), PRUNE_INTERVAL_MS)];
    for (const timer of this.timers) timer.unref();
  }

  /** One pass; never rejects (a failure is logged as a condition and tried again next time). */
  prune(): Promise<void> {
    if (this.retentionDays === undefined) return Promise.resolve();
    this.running ??= this.pruneOnce(this.retentionDays).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pruneOnce(retentionDays: number): Promise<void> {
    try {
      const before = new Date(this.now() - retentionDays * 86_400_000);
      const pruned = await this.history.prune(before);
      this.failures.recovered();
      if (pruned > 0) this.logger.info('pruned member history', { pruned, before: before.toISOString() });
    } catch (error) {
      this.failures.failed('prune-failed', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    await this.running;
  }
}
