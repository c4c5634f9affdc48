import type { SerializedMember } from './member-fingerprint.js';
import { compareMember, type IncomingMember, type MemberChange } from './member-changes.js';

/** An entry of the incoming message, in message order. */
export type IncomingEntry =
  | { type: 'member'; index: number; incoming: IncomingMember }
  | { type: 'removal'; index: number; memberId: string };

/** A member of the administration's current state, as stored. */
export type StoredMember = SerializedMember;

/** Read access to the administration's current state, inside the intake transaction. */
export interface CurrentMembers {
  /** Fingerprints of the members concerned: every current member for a snapshot, the named ones for a delta. */
  fingerprints: ReadonlyMap<string, string>;
  load(memberIds: readonly string[]): Promise<ReadonlyMap<string, StoredMember>>;
}

export interface ChangePlan {
  changes: MemberChange[];
  unchanged: number;
  /** Members that look the same to consumers but whose stored form is older: rewritten, not published. */
  refreshed: IncomingMember[];
  /** Removals in a delta of members the gateway does not hold (index into the message's members). */
  unknownRemovals: number[];
}

/**
 * Compares a message with the administration's current state (ICD 2, change semantics). A snapshot is
 * the whole list, so a current member it leaves out is removed; a delta touches only what it names.
 * Unchanged members are recognized by fingerprint alone, so only changed and removed members are loaded.
 */
export async function planChanges(kind: 'snapshot' | 'delta', entries: readonly IncomingEntry[], current: CurrentMembers): Promise<ChangePlan> {
  const toLoad: string[] = [];
  for (const entry of entries) {
    const memberId = entry.type === 'member' ? entry.incoming.member.memberId : entry.memberId;
    const known = current.fingerprints.get(memberId);
    if (known !== undefined && (entry.type === 'removal' || known !== entry.incoming.fingerprint)) toLoad.push(memberId);
  }
  const missing = kind === 'snapshot' ? membersLeftOut(entries, current.fingerprints) : [];
  const stored = toLoad.length + missing.length > 0 ? await current.load([...toLoad, ...missing]) : new Map<string, StoredMember>();

  const plan: ChangePlan = { changes: [], unchanged: 0, refreshed: [], unknownRemovals: [] };
  for (const entry of entries) {
    if (entry.type === 'removal') {
      const before = stored.get(entry.memberId);
      if (before) plan.changes.push({ ...before, change: 'removed' });
      else plan.unknownRemovals.push(entry.index);
      continue;
    }
    const { incoming } = entry;
    const known = current.fingerprints.get(incoming.member.memberId);
    if (known === undefined) {
      plan.changes.push({ ...incoming, change: 'added' });
    } else if (known === incoming.fingerprint) {
      plan.unchanged++;
    } else {
      const before = stored.get(incoming.member.memberId);
      const change = before ? compareMember(before.member, incoming) : undefined;
      if (change) plan.changes.push(change);
      else {
        plan.unchanged++;
        plan.refreshed.push(incoming);
      }
    }
  }
  for (const memberId of missing) {
    const before = stored.get(memberId);
    if (before) plan.changes.push({ ...before, change: 'removed' });
  }
  return plan;
}

function membersLeftOut(entries: readonly IncomingEntry[], fingerprints: ReadonlyMap<string, string>): string[] {
  const present = new Set<string>();
  for (const entry of entries) present.add(entry.type === 'member' ? entry.incoming.member.memberId : entry.memberId);
  return [...fingerprints.keys()].filter((memberId) => !present.has(memberId));
}
