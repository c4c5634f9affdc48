import type { Logger } from 'winston';
import type { SubmissionLogStore } from '../admin/submission-log.js';
import { ConditionLog } from '../logging/condition-log.js';

/** How often the submission log is pruned. */
const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * Keeps the submission log within SUBMISSION_LOG_RETENTION_DAYS (400 by default): once an hour (and
 * soon after start), entries received before that are deleted. Without a retention (0) nothing runs.
 * As the member history's retention (history-retention.ts), on every instance: pruning twice prunes nothing.
 */
export class SubmissionLogRetention {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | undefined;
  private readonly failures: ConditionLog;

  constructor(
    private readonly log: Pick<SubmissionLogStore, 'prune'>,
    private readonly retentionDays: number | undefined,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.failures = new ConditionLog(logger, 'submission log pruning');
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
      const pruned = await this.log.prune(before);
      this.failures.recovered();
      if (pruned > 0) this.logger.info('pruned submission log', { pruned, before: before.toISOString() });
    } catch (error) {
      this.failures.failed('prune-failed', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    await this.running;
  }
}
