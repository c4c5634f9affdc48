import type { Logger } from 'winston';
import type { SubmissionLogStore } from '../admin/submission-log.js';
import { RetentionPruning } from './retention-pruning.js';

/** Keeps the submission log within SUBMISSION_LOG_RETENTION_DAYS (400 by default; 0: for good). */
export class SubmissionLogRetention extends RetentionPruning {
  constructor(log: Pick<SubmissionLogStore, 'prune'>, retentionDays: number | undefined, logger: Logger, now: () => number = Date.now) {
    super('submission log', (before) => log.prune(before), retentionDays, logger, now);
  }
}
