import type { ArrangementRegistry, ArrangementStatus } from '../domain/arrangement.js';
import { checkStatusChange, STATUS_CHANGE_ACTIONS } from '../domain/arrangement-status.js';
import type { Clock } from '../domain/clock.js';
import { GatewayError } from '../domain/gateway-error.js';
import type { AdminActor, AdminStore, ArrangementStatusChange } from './admin-store.js';
import type { StatusChangeRequest } from './admin-requests.js';
import type { AuditLog } from './audit-log.js';

/** An arrangement as the admin API shows it: the registry entry, the status in force and why. */
export interface ArrangementView {
  code: string;
  administration: string;
  program: string;
  signedOn: string;
  /** The status in force: the last administrator's change, else mras.json's. */
  status: ArrangementStatus;
  /** The status mras.json gives. */
  configuredStatus: ArrangementStatus;
  /** Whether a member list from this administration would be accepted now. */
  acceptingSubmissions: boolean;
  /** The administrator's change that set `status`, if any. */
  statusChange: { reason: string; changedAt: string; changedBy: StatusChanger } | null;
}

/** Who made a status change: the admin key that signed the token and the token's sub (as an audit entry's actor). */
export interface StatusChanger {
  kid: string;
  sub: string;
}

export interface ArrangementAdminDependencies {
  arrangements: ArrangementRegistry;
  store: AdminStore;
  audit: AuditLog;
  clock: Clock;
}

/**
 * Arrangement status per administration (ICD 3): suspend, reinstate, terminate, each with a reason.
 * The store keeps the change (it overrides mras.json, also after a restart) and the registry the
 * intake asks applies it at once.
 */
export class ArrangementAdmin {
  constructor(private readonly deps: ArrangementAdminDependencies) {}

  /** Puts the stored status changes in force; called at start-up, before the first submission. */
  static async applyStoredStatuses(arrangements: ArrangementRegistry, store: AdminStore): Promise<void> {
    for (const change of await store.arrangementStatuses()) {
      if (arrangements.find(change.administration)) arrangements.applyStatus(change.administration, change.status);
    }
  }

  async list(): Promise<ArrangementView[]> {
    const changes = new Map((await this.deps.store.arrangementStatuses()).map((c) => [c.administration, c]));
    const now = this.deps.clock.now();
    return this.deps.arrangements.all().map((a) => this.view(a.code, changes.get(a.code), now));
  }

  async get(code: string): Promise<ArrangementView> {
    this.requireKnown(code);
    // A read: outside any transaction, so it never waits for or takes the write lock (one row per administration at most).
    const change = (await this.deps.store.arrangementStatuses()).find((c) => c.administration === code);
    return this.view(code, change, this.deps.clock.now());
  }

  async changeStatus(actor: AdminActor, code: string, request: StatusChangeRequest): Promise<ArrangementView> {
    this.requireKnown(code);
    const { arrangements } = this.deps;
    const inForce = arrangements.find(code)!.status;
    let applied = false;
    try {
      return await this.deps.audit.change(actor, async (tx, at) => {
        const previous = await tx.arrangementStatus(code);
        const from = previous?.status ?? arrangements.configuredStatus(code)!;
        checkStatusChange(code, from, request.status);
        const change: ArrangementStatusChange = { administration: code, status: request.status, reason: request.reason, changedAt: at, changedBy: storedChanger(actor) };
        await tx.setArrangementStatus(change);
        // Applied inside the transaction, so concurrent changes reach the registry in commit order.
        arrangements.applyStatus(code, request.status);
        applied = true;
        return {
          action: STATUS_CHANGE_ACTIONS[request.status],
          administration: code,
          before: { status: from, reason: previous?.reason ?? null },
          after: { status: request.status, reason: request.reason },
          reason: request.reason,
          result: this.view(code, change, at),
        };
      });
    } catch (error) {
      // The commit failed after the registry was changed: put back what is still in the store.
      if (applied) arrangements.applyStatus(code, inForce);
      throw error;
    }
  }

  private requireKnown(code: string): void {
    if (!this.deps.arrangements.find(code)) throw new GatewayError('unknown-administration', `There is no arrangement with administration code "${code}".`);
  }

  private view(code: string, change: ArrangementStatusChange | undefined, now: Date): ArrangementView {
    const a = this.deps.arrangements.find(code)!;
    return {
      code: a.code,
      administration: a.administration,
      program: a.program,
      signedOn: a.signedOn,
      status: a.status,
      configuredStatus: this.deps.arrangements.configuredStatus(code)!,
      acceptingSubmissions: this.deps.arrangements.isActive(code, now),
      statusChange: change ? { reason: change.reason, changedAt: change.changedAt.toISOString(), changedBy: changerOf(change.changedBy) } : null,
    };
  }
}

/** The administrator as the store's changed_by column keeps it: JSON, so that neither part can be misread. */
function storedChanger(actor: AdminActor): string {
  return JSON.stringify({ kid: actor.kid, sub: actor.sub } satisfies StatusChanger);
}

/** Earlier versions stored `<sub> (key <kid>)`; the kid (from admin-keys.json) is what follows the last " (key ". */
const LEGACY_CHANGER = /^([\s\S]*) \(key ([\s\S]*)\)$/;

/** Reads changed_by back into its two parts, in the form this version writes or the one earlier versions wrote. */
function changerOf(stored: string): StatusChanger {
  if (stored.startsWith('{')) {
    try {
      const { kid, sub } = JSON.parse(stored) as Partial<Record<keyof StatusChanger, unknown>>;
      if (typeof kid === 'string' && typeof sub === 'string') return { kid, sub };
    } catch {
      // Not this version's JSON: a legacy value whose sub starts with "{".
    }
  }
  const legacy = LEGACY_CHANGER.exec(stored);
  // Only ArrangementAdmin writes the column, always in one of the two forms; anything else is shown as the sub.
  return legacy ? { kid: legacy[2]!, sub: legacy[1]! } : { kid: '', sub: stored };
}
