import type { Logger } from 'winston';
import type { Clock } from '../domain/clock.js';
import type { AdminActor, AdminStore, AdminTransaction, AuditAction, AuditEntry } from './admin-store.js';

/** What an admin change reports for the audit log, beside its result for the caller. */
export interface AuditedChange<T> {
  action: AuditAction;
  administration?: string;
  kid?: string;
  before: unknown;
  after: unknown;
  reason?: string;
  result: T;
}

/** A page of the audit log; `next` is the cursor for the following page, null on the last one. */
export interface AuditPage {
  entries: AuditEntry[];
  next: number | null;
}

/**
 * The audit trail of admin actions (ICD 3). A change runs through `change`, which appends its entry in
 * the same transaction (so a change is never without its entry) and logs it once committed. Entries
 * are only ever appended: the store refuses updates and deletes, and the API offers neither.
 */
export class AuditLog {
  constructor(
    private readonly store: AdminStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async change<T>(actor: AdminActor, work: (tx: AdminTransaction, at: Date) => Promise<AuditedChange<T>>): Promise<T> {
    const { entry, result } = await this.store.transaction(async (tx) => {
      const at = this.clock.now();
      const done = await work(tx, at);
      const entry = await tx.appendAudit({
        at,
        actor,
        action: done.action,
        administration: done.administration ?? null,
        kid: done.kid ?? null,
        before: done.before,
        after: done.after,
        reason: done.reason ?? null,
      });
      return { entry, result: done.result };
    });
    // Key material and reasons stay in the audit table; the log says who did what to which.
    this.logger.info('admin action', {
      auditSeq: entry.seq,
      action: entry.action,
      actor: { kid: actor.kid, sub: actor.sub },
      ...(entry.administration !== null ? { administration: entry.administration } : {}),
      ...(entry.kid !== null ? { kid: entry.kid } : {}),
    });
    return result;
  }

  /** Entries after the cursor `after` (0 for the start), oldest first. */
  async page(after: number, limit: number): Promise<AuditPage> {
    const entries = await this.store.auditEntries(after, limit + 1);
    const more = entries.length > limit;
    const page = entries.slice(0, limit);
    return { entries: page, next: more ? page[page.length - 1]!.seq : null };
  }
}
