import type { ArrangementStatus } from '../domain/arrangement.js';
import type { Clock } from '../domain/clock.js';
import { isUsableAt, type PartnerKey } from '../domain/partner-key.js';
import { problemTypeUri } from '../domain/problem-types.js';
import { keyExpiryHorizonSeconds } from '../operations/key-expiry-horizon.js';
import type { OutboxBacklog } from '../outbox/outbox-ports.js';
import type { ArrangementView } from './arrangement-admin.js';
import type { LoggedSubmission, SubmissionLogStore } from './submission-log.js';

/** A partner that has sent no accepted list for longer than this is stale: lists are exchanged every 24 h. */
export const STALE_AFTER_SECONDS = 26 * 3600;

/** One arrangement on the overview. */
export interface ArrangementOverview {
  code: string;
  status: ArrangementStatus;
  /** The newest accepted list (replays do not count: they bring nothing new). */
  lastAccepted: { id: string; messageId: string | null; kind: 'snapshot' | 'delta' | null; receivedAt: string; ageSeconds: number } | null;
  /** No accepted list, or the last one older than STALE_AFTER_SECONDS. */
  stale: boolean;
  lastRejection: { id: string; messageId: string | null; receivedAt: string; ageSeconds: number; type: string; status: number } | null;
  keys: {
    /** Keys that verify now (state active or retiring). */
    active: number;
    /** The earliest notAfter among them; null when none has an end (or none is active). */
    earliestNotAfter: string | null;
    /** Seconds until no usable key is left, counting overlapping next keys (operations/key-expiry-horizon.ts); null when a key has no end, 0 when none is usable. */
    horizonSeconds: number | null;
    /** now + horizonSeconds; null when a key has no end. */
    usableUntil: string | null;
  };
}

/** GET /admin/v1/overview. */
export interface Overview {
  /** The gateway's time, which every age is measured from. */
  now: string;
  staleAfterSeconds: number;
  arrangements: ArrangementOverview[];
  /** As /readyz shows it; null values when the outbox could not be read. */
  outbox: { backlog: number | null; oldestAgeSeconds: number | null; maxAgeSeconds: number };
  broker: { connected: boolean };
}

export interface AdminOverviewSources {
  /** The arrangements with their status in force. */
  arrangements: { list(): Promise<ArrangementView[]> };
  submissions: SubmissionLogStore;
  partnerKeys: { all(): Promise<PartnerKey[]> };
  outbox: { backlog(): Promise<OutboxBacklog> };
  broker: { readonly connected: boolean };
  /** READY_MAX_BACKLOG_AGE_SECONDS, for the console to compare with. */
  maxBacklogAgeSeconds: number;
  /** The gateway's clock: submissions and key windows are in its time. */
  clock: Clock;
  /** Wall-clock ms: the outbox stamps its rows with the system clock (as readiness measures them). */
  wallClock?: () => number;
}

const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));

/**
 * What the console's overview shows, in one answer (ICD 3): per arrangement its status, last accepted
 * list and its age, last rejection and key horizon; the outbox and the broker as readiness sees them.
 * A few queries whatever the log holds: two lookups per administration on the log's indexes, one read
 * of the partner keys, one of the outbox backlog.
 */
export class AdminOverview {
  constructor(private readonly sources: AdminOverviewSources) {}

  async overview(): Promise<Overview> {
    const { sources } = this;
    const arrangements = await sources.arrangements.list();
    const codes = arrangements.map((a) => a.code);
    const [accepted, rejected, keys, outbox] = await Promise.all([
      sources.submissions.lastPerAdministration('accepted', codes),
      sources.submissions.lastPerAdministration('rejected', codes),
      sources.partnerKeys.all(),
      this.outbox(),
    ]);
    const now = sources.clock.now();
    const lastAccepted = new Map(accepted.map((e) => [e.administration, e]));
    const lastRejected = new Map(rejected.map((e) => [e.administration, e]));
    const age = (entry: LoggedSubmission) => seconds(now.getTime() - entry.receivedAt.getTime());
    return {
      now: now.toISOString(),
      staleAfterSeconds: STALE_AFTER_SECONDS,
      arrangements: arrangements.map((arrangement): ArrangementOverview => {
        const last = lastAccepted.get(arrangement.code);
        const rejection = lastRejected.get(arrangement.code);
        return {
          code: arrangement.code,
          status: arrangement.status,
          lastAccepted: last ? { id: last.id, messageId: last.messageId, kind: last.kind, receivedAt: last.receivedAt.toISOString(), ageSeconds: age(last) } : null,
          stale: last === undefined || now.getTime() - last.receivedAt.getTime() > STALE_AFTER_SECONDS * 1000,
          lastRejection: rejection
            ? {
                id: rejection.id,
                messageId: rejection.messageId,
                receivedAt: rejection.receivedAt.toISOString(),
                ageSeconds: age(rejection),
                type: problemTypeUri(rejection.problem?.code ?? 'internal-error'),
                status: rejection.status,
              }
            : null,
          keys: keyOverview(
            keys.filter((key) => key.administration === arrangement.code),
            now,
          ),
        };
      }),
      outbox,
      broker: { connected: sources.broker.connected },
    };
  }

  private async outbox(): Promise<Overview['outbox']> {
    const maxAgeSeconds = this.sources.maxBacklogAgeSeconds;
    try {
      const { count, oldestCreatedAt } = await this.sources.outbox.backlog();
      const now = (this.sources.wallClock ?? Date.now)();
      return { backlog: count, oldestAgeSeconds: oldestCreatedAt ? Math.max(0, (now - oldestCreatedAt.getTime()) / 1000) : null, maxAgeSeconds };
    } catch {
      return { backlog: null, oldestAgeSeconds: null, maxAgeSeconds };
    }
  }
}

function keyOverview(keys: readonly PartnerKey[], now: Date): ArrangementOverview['keys'] {
  const active = keys.filter((key) => isUsableAt(key, now));
  const ends = active.map((key) => key.notAfter?.getTime()).filter((end): end is number => end !== undefined);
  const horizon = keyExpiryHorizonSeconds(keys, now);
  const finite = Number.isFinite(horizon);
  return {
    active: active.length,
    earliestNotAfter: ends.length > 0 ? new Date(Math.min(...ends)).toISOString() : null,
    horizonSeconds: finite ? Math.round(horizon) : null,
    usableUntil: finite ? new Date(Math.round(now.getTime() + horizon * 1000)).toISOString() : null,
  };
}
