import type { Logger } from 'winston';
import { ConditionLog } from '../logging/condition-log.js';

/** How often a retention is applied. */
const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * Applies a retention in days: once an hour (and a minute after start), `prune` deletes what is older.
 * Without a retention (undefined) nothing runs. Runs on every instance: pruning twice prunes nothing.
 */
export class RetentionPruning {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | undefined;
  private readonly failures: ConditionLog;

  constructor(
    /** What is pruned, for the log: "member history". */
    private readonly what: string,
    private readonly pruneBefore: (before: Date) => Promise<number>,
    private readonly retentionDays: number | undefined,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.failures = new ConditionLog(logger, `${what} pruning`);
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
      const pruned = await this.pruneBefore(before);
      this.failures.recovered();
      if (pruned > 0) this.logger.info(`pruned ${this.what}`, { pruned, before: before.toISOString() });
    } catch (error) {
      this.failures.failed('prune-failed', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    await this.running;
  }
}
