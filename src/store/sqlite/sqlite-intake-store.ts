import type { Statement } from 'better-sqlite3';
import type { ArrangementStatus } from '../../domain/arrangement.js';
import type { Acceptance, AdministrationCursor, IntakeStore, IntakeTransaction, MemberWrites } from '../../domain/intake/intake-store.js';
import type { MarkedSnapshot, SnapshotMark } from '../../domain/intake/snapshot-repeat.js';
import { toAcceptedMessage, type AcceptedMessageRow } from '../accepted-message-row.js';
import { SEARCH_COLUMNS, searchRowOf } from '../member-search-row.js';
import type { StoredMember } from '../../domain/member/change-plan.js';
import type { NormalizedMember } from '../../domain/member/normalized-member.js';
import type { PendingRecord } from '../../outbox/outbox-ports.js';
import type { OutboxWatermark } from './outbox-watermark.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { toPartnerKey, type KeyRow } from './sqlite-partner-key-store.js';


/**
 * Record bodies a transaction keeps in memory for the relay until it commits. A few thousand records
 * cover every small submission (the relay need not read them back); the records of a long snapshot
 * beyond them are read from the outbox, as a batch of them is published, instead of being held while
 * the rest of the list is checked and written.
 */
const MAX_HANDED_OVER_BYTES = 8 * 1024 * 1024;

/** The intake's transaction on SQLite: prepared statements, run inside SqliteDatabase.transaction. */
export class SqliteIntakeStore implements IntakeStore {
  private readonly statements: Record<
    | 'findMessage'
    | 'partnerKey'
    | 'arrangementStatus'
    | 'cursor'
    | 'allFingerprints'
    | 'fingerprint'
    | 'member'
    | 'insertMessage'
    | 'upsertCursor'
    | 'upsertMember'
    | 'removeMember'
    | 'deleteLookups'
    | 'insertLookup'
    | 'removedVersion'
    | 'allRemovedVersions'
    | 'insertVersion'
    | 'insertOutbox'
    | 'snapshotMark'
    | 'upsertSnapshotMark'
    | 'deleteSnapshotMark',
    Statement
  >;

  /**
   * The first records written by the transaction now running, with their outbox positions, up to
   * maxHandedOverBytes of bodies: the relay publishes those from memory and reads the rest from
   * the outbox, so a 250,000-member snapshot does not hold all its records in memory until it commits.
   */
  private written: PendingRecord[] = [];
  private writtenBytes = 0;
  /** The outbox position of the transaction's last record (0: none yet). */
  private lastSeq = 0;
  /** The administration whose transaction is running. */
  private administration = '';

  /**
   * `onRecordsDurable` is told of the first records of each commit (up to `maxHandedOverBytes` of
   * bodies) once it is durable: the relay publishes them from memory rather than reading them back.
   */
  constructor(
    private readonly database: SqliteDatabase,
    private readonly watermark: OutboxWatermark,
    private readonly onRecordsDurable: (records: PendingRecord[]) => void = () => undefined,
    private readonly maxHandedOverBytes = MAX_HANDED_OVER_BYTES,
  ) {
    const db = database.db;
    this.statements = {
      findMessage: db.prepare('SELECT * FROM accepted_messages WHERE administration = ? AND message_id = ?'),
      // The same tables the admin API writes: read in the intake's transaction, they say what is in force at its commit.
      partnerKey: db.prepare('SELECT * FROM partner_keys WHERE administration = ? AND kid = ?'),
      arrangementStatus: db.prepare('SELECT status FROM arrangement_status WHERE administration = ?').pluck(),
      cursor: db.prepare('SELECT last_sequence, last_snapshot_issued_at FROM administration_cursors WHERE administration = ?'),
      // Current members only: a removed member is kept (the register shows it) but is no longer held.
      allFingerprints: db.prepare('SELECT member_id, fingerprint FROM members WHERE administration = ? AND removed_at IS NULL').raw(),
      fingerprint: db.prepare('SELECT fingerprint FROM members WHERE administration = ? AND member_id = ? AND removed_at IS NULL').pluck(),
      member: db.prepare('SELECT fingerprint, member, version FROM members WHERE administration = ? AND member_id = ? AND removed_at IS NULL'),
      removedVersion: db.prepare('SELECT version FROM members WHERE administration = ? AND member_id = ? AND removed_at IS NOT NULL').pluck(),
      allRemovedVersions: db.prepare('SELECT member_id, version FROM members WHERE administration = ? AND removed_at IS NOT NULL').raw(),
      insertMessage: db.prepare(
        `INSERT INTO accepted_messages (administration, message_id, digest, payload_digest, kind, sequence, issued_at, received_at, kid, receipt)
         VALUES (@administration, @messageId, @digest, @payloadDigest, @kind, @sequence, @issuedAt, @receivedAt, @kid, @receipt)`,
      ),
      upsertCursor: db.prepare(
        `INSERT INTO administration_cursors (administration, last_sequence, last_snapshot_issued_at) VALUES (?, ?, ?)
         ON CONFLICT (administration) DO UPDATE SET last_sequence = excluded.last_sequence, last_snapshot_issued_at = excluded.last_snapshot_issued_at`,
      ),
      upsertMember: db.prepare(
        `INSERT INTO members (administration, member_id, fingerprint, member, version, removed_at, ${SEARCH_COLUMNS.join(', ')})
         VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)
         ON CONFLICT (administration, member_id) DO UPDATE SET fingerprint = excluded.fingerprint, member = excluded.member,
           version = excluded.version, removed_at = NULL, ${SEARCH_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`,
      ),
      // A member's lookups are replaced with the member; a removed member keeps its last ones (includeRemoved finds it).
      deleteLookups: db.prepare('DELETE FROM member_lookups WHERE administration = ? AND member_id = ?'),
      insertLookup: db.prepare('INSERT OR IGNORE INTO member_lookups (administration, member_id, kind, value) VALUES (?, ?, ?, ?)'),
      removeMember: db.prepare('UPDATE members SET version = ?, removed_at = ? WHERE administration = ? AND member_id = ?'),
      insertVersion: db.prepare(
        'INSERT INTO member_versions (administration, member_id, version, change, received_at, message_id, record) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      snapshotMark: db.prepare(
        `SELECT message_id AS messageId, members_digest AS membersDigest, members_length AS membersLength, rules_digest AS rulesDigest, received_at AS receivedAt
         FROM snapshot_marks WHERE administration = ?`,
      ),
      upsertSnapshotMark: db.prepare(
        `INSERT INTO snapshot_marks (administration, message_id, members_digest, members_length, rules_digest, received_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (administration) DO UPDATE SET message_id = excluded.message_id, members_digest = excluded.members_digest,
           members_length = excluded.members_length, rules_digest = excluded.rules_digest, received_at = excluded.received_at`,
      ),
      deleteSnapshotMark: db.prepare('DELETE FROM snapshot_marks WHERE administration = ?'),
      insertOutbox: db.prepare(
        `INSERT INTO outbox (event_id, administration, member_key, change, routing_key, occurred_at, body, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  /** One writer at a time for every administration: SQLite has one write transaction at a time anyway. */
  async intake<T>(administration: string, work: (tx: IntakeTransaction) => Promise<T>): Promise<T> {
    let written: PendingRecord[] = [];
    let lastSeq = 0;
    const result = await this.database.transaction(async () => {
      this.written = [];
      this.writtenBytes = 0;
      this.lastSeq = 0;
      this.administration = administration;
      try {
        return await work(this.transaction);
      } finally {
        written = this.written;
        lastSeq = this.lastSeq;
        this.written = [];
      }
    });
    // The transaction resolves only once durable: its records may now be published.
    if (lastSeq > 0) this.watermark.advance(lastSeq);
    if (written.length > 0) this.onRecordsDurable(written);
    return result;
  }

  markedSnapshot(administration: string, membersLength: number): Promise<MarkedSnapshot | undefined> {
    return this.database.exclusive(() => {
      const mark = this.statements.snapshotMark.get(administration) as SnapshotMark | undefined;
      if (mark?.membersLength !== membersLength) return undefined;
      const message = mark && (this.statements.findMessage.get(administration, mark.messageId) as AcceptedMessageRow | undefined);
      return mark && message ? { mark, receipt: toAcceptedMessage(message).receipt } : undefined;
    });
  }

  private readonly transaction: IntakeTransaction = {
    partnerKey: async (administration, kid) => {
      const row = this.statements.partnerKey.get(administration, kid) as KeyRow | undefined;
      return row ? toPartnerKey(row) : undefined;
    },
    arrangementStatus: async (administration) => this.statements.arrangementStatus.get(administration) as ArrangementStatus | undefined,
    findMessage: async (administration, messageId) => {
      const row = this.statements.findMessage.get(administration, messageId) as AcceptedMessageRow | undefined;
      return row ? toAcceptedMessage(row) : undefined;
    },
    cursor: async (administration): Promise<AdministrationCursor> => {
      const row = this.statements.cursor.get(administration) as { last_sequence: number | null; last_snapshot_issued_at: string | null } | undefined;
      return { lastSequence: row?.last_sequence ?? null, lastSnapshotIssuedAt: row?.last_snapshot_issued_at ?? null };
    },
    fingerprints: async (administration, memberIds) => {
      const result = new Map<string, string>();
      if (memberIds === undefined) {
        for (const [memberId, fingerprint] of this.statements.allFingerprints.iterate(administration) as IterableIterator<[string, string]>) {
          result.set(memberId, fingerprint);
        }
      } else {
        for (const memberId of memberIds) {
          const fingerprint = this.statements.fingerprint.get(administration, memberId) as string | undefined;
          if (fingerprint !== undefined) result.set(memberId, fingerprint);
        }
      }
      return result;
    },
    loadMembers: async (administration, memberIds) => {
      const result = new Map<string, StoredMember>();
      for (const memberId of memberIds) {
        const row = this.statements.member.get(administration, memberId) as { fingerprint: string; member: string; version: number } | undefined;
        if (row) result.set(memberId, { fingerprint: row.fingerprint, json: row.member, member: JSON.parse(row.member) as NormalizedMember, version: row.version });
      }
      return result;
    },
    removedVersions: async (administration, memberIds) => {
      if (memberIds === undefined) return new Map(this.statements.allRemovedVersions.all(administration) as [string, number][]);
      const result = new Map<string, number>();
      for (const memberId of memberIds) {
        const version = this.statements.removedVersion.get(administration, memberId) as number | undefined;
        if (version !== undefined) result.set(memberId, version);
      }
      return result;
    },
    snapshotMark: async (administration) => this.statements.snapshotMark.get(administration) as SnapshotMark | undefined,
    write: async (writes: MemberWrites) => {
      const administration = this.administration;
      for (const { member, fingerprint, json, version } of writes.upserts) {
        const search = searchRowOf(member);
        this.statements.upsertMember.run(administration, member.memberId, fingerprint, json, version, ...search.columns);
        if (!writes.firstStored?.has(member.memberId)) this.statements.deleteLookups.run(administration, member.memberId);
        for (const [kind, value] of search.lookups) this.statements.insertLookup.run(administration, member.memberId, kind, value);
      }
      for (const { memberId, version, removedAt } of writes.removals) this.statements.removeMember.run(version, removedAt, administration, memberId);
      for (const v of writes.history) this.statements.insertVersion.run(administration, v.memberId, v.version, v.change, v.receivedAt, v.messageId, v.record);
      const now = Date.now();
      for (const r of writes.records) {
        const seq = Number(this.statements.insertOutbox.run(r.eventId, r.administration, r.memberKey, r.change, r.routingKey, r.occurredAt, r.body, now).lastInsertRowid);
        this.lastSeq = seq;
        // Handed over only as an unbroken run from the transaction's first record: the relay goes on from the store after it.
        this.writtenBytes += r.body.length;
        if (this.writtenBytes <= this.maxHandedOverBytes) this.written.push({ ...r, seq });
      }
    },
    accept: async (acceptance: Acceptance) => {
      const { message, cursor } = acceptance;
      const administration = message.administration;
      this.statements.insertMessage.run({ ...message, receipt: JSON.stringify(message.receipt) });
      this.statements.upsertCursor.run(administration, cursor.lastSequence, cursor.lastSnapshotIssuedAt);
      const mark = acceptance.snapshotMark;
      if (mark === null) this.statements.deleteSnapshotMark.run(administration);
      else if (mark) this.statements.upsertSnapshotMark.run(administration, mark.messageId, mark.membersDigest, mark.membersLength, mark.rulesDigest, mark.receivedAt);
    },
  };
}
