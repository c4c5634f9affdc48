import type { Logger } from 'winston';
import type { MemberHistoryStore } from '../store/gateway-store.js';
import { RetentionPruning } from './retention-pruning.js';

/**
 * Keeps the member history within MEMBER_HISTORY_RETENTION_DAYS: versions older than that are deleted,
 * except each member's latest (the store's prune keeps it).
 */
export class HistoryRetention extends RetentionPruning {
  constructor(history: MemberHistoryStore, retentionDays: number | undefined, logger: Logger, now: () => number = Date.now) {
    super('member history', (before) => history.prune(before), retentionDays, logger, now);
  }
}
