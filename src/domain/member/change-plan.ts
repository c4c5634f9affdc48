import type { SerializedMember } from './member-fingerprint.js';
import { compareMember, type IncomingMember, type MemberChange } from './member-changes.js';

/** An entry of the incoming message, in message order. */
export type IncomingEntry =
  | { type: 'member'; index: number; incoming: IncomingMember }
  | { type: 'removal'; index: number; memberId: string };

/** A member with its version: 1 for its first record, one more for each change (its removal included). */
export type VersionedMember = SerializedMember & { version: number };

/** A member of the administration's current state, as stored. */
export type StoredMember = VersionedMember;

/** Read access to the administration's current state, inside the intake transaction. */
export interface CurrentMembers {
  /** Fingerprints of the members concerned: every current member for a snapshot, the named ones for a delta. */
  fingerprints: ReadonlyMap<string, string>;
  load(memberIds: readonly string[]): Promise<ReadonlyMap<string, StoredMember>>;
  /** The last versions of the named members that were removed (and may now come back). */
  removedVersions(memberIds: readonly string[]): Promise<ReadonlyMap<string, number>>;
}

export interface ChangePlan {
  changes: MemberChange[];
  unchanged: number;
  /** Members that look the same to consumers but whose stored form is older: rewritten, not published (same version). */
  refreshed: VersionedMember[];
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
      if (before) plan.changes.push(removalOf(before));
      else plan.unknownRemovals.push(entry.index);
      continue;
    }
    const { incoming } = entry;
    const known = current.fingerprints.get(incoming.member.memberId);
    if (known === undefined) {
      // Version 1, or on from where it was when it was removed (set below).
      plan.changes.push({ ...incoming, change: 'added', version: 1 });
    } else if (known === incoming.fingerprint) {
      plan.unchanged++;
    } else {
      const before = stored.get(incoming.member.memberId);
      const change = before ? compareMember(before.member, incoming) : undefined;
      if (change && before) plan.changes.push({ ...change, version: before.version + 1 });
      else {
        plan.unchanged++;
        plan.refreshed.push({ ...incoming, version: before?.version ?? 1 });
      }
    }
  }
  for (const memberId of missing) {
    const before = stored.get(memberId);
    if (before) plan.changes.push(removalOf(before));
  }
  await continueRemovedVersions(plan.changes, current);
  return plan;
}

/** The removal of a current member: announced as it was last known, at its next version. */
export function removalOf(before: StoredMember): MemberChange {
  return { ...before, change: 'removed', version: before.version + 1 };
}

/** A member added again after its removal goes on from the version its removal had. */
async function continueRemovedVersions(changes: MemberChange[], current: CurrentMembers): Promise<void> {
  const added = changes.filter((change) => change.change === 'added');
  if (added.length === 0) return;
  const removed = await current.removedVersions(added.map((change) => change.member.memberId));
  if (removed.size === 0) return;
  for (const change of added) {
    const last = removed.get(change.member.memberId);
    if (last !== undefined) change.version = last + 1;
  }
}

function membersLeftOut(entries: readonly IncomingEntry[], fingerprints: ReadonlyMap<string, string>): string[] {
  const present = new Set<string>();
  for (const entry of entries) present.add(entry.type === 'member' ? entry.incoming.member.memberId : entry.memberId);
  return [...fingerprints.keys()].filter((memberId) => !present.has(memberId));
}
