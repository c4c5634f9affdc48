import { planChanges, removalOf, type ChangePlan, type CurrentMembers, type IncomingEntry, type VersionedMember } from '../member/change-plan.js';
import { recordSerializer, routingKeyFor, type RecordSource } from '../member/member-record.js';
import type { Arrangement } from '../arrangement.js';
import type { IntakeTransaction, MemberRemoval, MemberVersionEntry, MemberWrites, OutboxRecord } from './intake-store.js';
import { ListedWarnings } from './listed-problems.js';
import type { ReceiptCounts } from './receipt.js';

/** Members per batch: large enough for few round trips, small enough to bound each statement and what is held. */
export const CHANGE_BATCH = 500;

type ChangeCounts = Omit<ReceiptCounts, 'members' | 'notRecognized'>;

/**
 * A message's changes, planned and stored a batch of members at a time inside the intake transaction
 * (ICD 2, change semantics): each batch is compared with the current state, and its new states, history
 * and records are serialized and written before the next batch is prepared. A snapshot's current
 * members it never names are removed at the end. What is held meanwhile is the current members'
 * fingerprints (for a snapshot) and one batch; the transaction makes it all or nothing.
 */
export class ChangeBatches {
  readonly counts: ChangeCounts = { added: 0, updated: 0, statusChanged: 0, removed: 0, unchanged: 0 };
  /** Records written to the outbox so far. */
  records = 0;
  /** Removals in a delta of members the gateway does not hold. */
  readonly unknownRemovals = new ListedWarnings();
  private readonly serialize: ReturnType<typeof recordSerializer>;

  private constructor(
    private readonly tx: IntakeTransaction,
    private readonly administration: string,
    private readonly source: RecordSource,
    arrangement: Arrangement,
    /** A snapshot's: every current member's fingerprint, less those the list has named so far. */
    private readonly notYetNamed: Map<string, string> | undefined,
    /** A snapshot's: the last version of every removed member (one read, rather than one per batch). */
    private readonly removed: Map<string, number> | undefined,
  ) {
    this.serialize = recordSerializer(arrangement, source);
  }

  static async open(tx: IntakeTransaction, kind: 'snapshot' | 'delta', arrangement: Arrangement, source: RecordSource): Promise<ChangeBatches> {
    const administration = arrangement.code;
    const current = kind === 'snapshot' ? await tx.fingerprints(administration) : undefined;
    const removed = kind === 'snapshot' ? await tx.removedVersions(administration) : undefined;
    return new ChangeBatches(tx, administration, source, arrangement, current, removed);
  }

  /** Plans and writes the changes of the next entries of the message, in message order. */
  async add(entries: readonly IncomingEntry[]): Promise<void> {
    const ids = entries.map((entry) => (entry.type === 'member' ? entry.incoming.member.memberId : entry.memberId));
    const fingerprints = this.notYetNamed ?? (await this.tx.fingerprints(this.administration, ids));
    // Each batch is planned as a delta naming its own members; a snapshot's members left out are removed in finish.
    const plan = await planChanges('delta', entries, this.current(fingerprints));
    if (this.notYetNamed) for (const id of ids) this.notYetNamed.delete(id);
    for (const index of plan.unknownRemovals) {
      this.unknownRemovals.add({
        pointer: `/members/${index}/memberId`,
        code: 'unknown-member-removed',
        detail: 'The delta removes a member the gateway does not hold; nothing was published for it.',
      });
    }
    this.counts.unchanged += plan.unchanged;
    await this.write(plan.changes, plan.refreshed);
  }

  /** After the last entry: a snapshot removes the current members it did not name. */
  async finish(): Promise<void> {
    if (!this.notYetNamed || this.notYetNamed.size === 0) return;
    const leftOut = [...this.notYetNamed.keys()];
    this.notYetNamed.clear();
    for (let start = 0; start < leftOut.length; start += CHANGE_BATCH) {
      const ids = leftOut.slice(start, start + CHANGE_BATCH);
      const stored = await this.tx.loadMembers(this.administration, ids);
      await this.write(ids.flatMap((id) => { const before = stored.get(id); return before ? [removalOf(before)] : []; }), []);
    }
  }

  private current(fingerprints: ReadonlyMap<string, string>): CurrentMembers {
    return {
      fingerprints,
      load: (memberIds) => this.tx.loadMembers(this.administration, memberIds),
      removedVersions: async (memberIds) =>
        this.removed ? new Map(memberIds.flatMap((id) => (this.removed!.has(id) ? [[id, this.removed!.get(id)!] as const] : []))) : this.tx.removedVersions(this.administration, memberIds),
    };
  }

  private async write(changes: ChangePlan['changes'], refreshed: readonly VersionedMember[]): Promise<void> {
    for (const change of changes) {
      if (change.change === 'added') this.counts.added++;
      else if (change.change === 'updated') this.counts.updated++;
      else if (change.change === 'status-changed') this.counts.statusChanged++;
      else this.counts.removed++;
    }
    this.records += changes.length;
    if (changes.length > 0) await this.tx.write(this.writesOf(changes));
    if (refreshed.length > 0) await this.tx.write({ upserts: refreshed, removals: [], records: [], history: [] });
  }

  /**
   * The writes of a batch of changes, in order: the member's new state (or its removal), its version in
   * the history, and its record for the outbox, serialized here.
   */
  private writesOf(changes: ChangePlan['changes']): MemberWrites {
    const { administration, source } = this;
    const writes = { upserts: [] as VersionedMember[], removals: [] as MemberRemoval[], records: [] as OutboxRecord[], history: [] as MemberVersionEntry[], firstStored: new Set<string>() };
    for (const change of changes) {
      if (change.change === 'removed') writes.removals.push({ memberId: change.member.memberId, version: change.version, removedAt: source.receivedAt });
      else writes.upserts.push(change);
      // Added at version 1: never stored before (a member added again goes on from its removal's version).
      if (change.change === 'added' && change.version === 1) writes.firstStored.add(change.member.memberId);
      const { eventId, body } = this.serialize(change);
      writes.history.push({ memberId: change.member.memberId, version: change.version, change: change.change, receivedAt: source.receivedAt, messageId: source.messageId, record: body });
      writes.records.push({
        eventId,
        administration,
        memberKey: change.member.key,
        change: change.change,
        routingKey: routingKeyFor(change.change, administration),
        occurredAt: source.receivedAt,
        body,
      });
    }
    return writes;
  }
}
