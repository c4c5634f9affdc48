import type { ArrangementStatus } from '../../domain/arrangement.js';
import type { Acceptance, AcceptedMessage, AdministrationCursor, IntakeStore, IntakeTransaction, MemberWrites } from '../../domain/intake/intake-store.js';
import type { MarkedSnapshot, SnapshotMark } from '../../domain/intake/snapshot-repeat.js';
import { toAcceptedMessage, type AcceptedMessageRow } from '../accepted-message-row.js';
import type { StoredMember } from '../../domain/member/change-plan.js';
import { SEARCH_COLUMNS, searchRowOf } from '../member-search-row.js';
import type { NormalizedMember } from '../../domain/member/normalized-member.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { PostgresMemberStatistics } from './postgres-member-statistics.js';
import type { PostgresDatabase, Queryable } from './postgres-database.js';
import { toPartnerKey, type PartnerKeyRow } from './postgres-partner-key-store.js';


interface MarkRow {
  message_id: string;
  members_digest: string;
  members_length: number;
  rules_digest: string;
  received_at: string;
}

/** The transaction advisory lock that serializes one administration's intake across all instances. */
export function intakeLockKey(administration: string): string {
  return `mra-gateway:intake:${administration}`;
}

/**
 * The intake on PostgreSQL. Every transaction first takes its administration's advisory lock, so two
 * submissions of one administration (at one instance or at two) run one after the other and the
 * second sees what the first committed; other administrations run beside it. Within an instance the
 * transactions of one administration also queue in memory first, so waiting ones hold no connection.
 */
export class PostgresIntakeStore implements IntakeStore {
  private readonly queues = new KeyedMutex();

  constructor(
    private readonly database: PostgresDatabase,
    private readonly statistics?: PostgresMemberStatistics,
  ) {}

  async intake<T>(administration: string, work: (tx: IntakeTransaction) => Promise<T>): Promise<T> {
    let tx: PostgresIntakeTransaction | undefined;
    const result = await this.queues.run(administration, () =>
      this.database.transaction((client) => work((tx = new PostgresIntakeTransaction(client, administration))), intakeLockKey(administration)),
    );
    // Committed: a large intake refreshes the member tables' statistics.
    if (tx) this.statistics?.written(tx.memberRows);
    return result;
  }

  async markedSnapshot(administration: string, membersLength: number): Promise<MarkedSnapshot | undefined> {
    const { rows } = await this.database.query<MarkRow & { receipt: string | null }>(
      `SELECT m.*, a.receipt FROM snapshot_marks m
       LEFT JOIN accepted_messages a ON a.administration = m.administration AND a.message_id = m.message_id
       WHERE m.administration = $1 AND m.members_length = $2`,
      [administration, membersLength],
    );
    const row = rows[0];
    if (!row || row.receipt === null) return undefined;
    return { mark: toMark(row), receipt: JSON.parse(row.receipt) as AcceptedMessage['receipt'] };
  }
}

class PostgresIntakeTransaction implements IntakeTransaction {
  /** Members upserted or removed so far. */
  memberRows = 0;

  constructor(
    private readonly client: Queryable,
    private readonly administration: string,
  ) {}

  async partnerKey(administration: string, kid: string) {
    const { rows } = await this.client.query<PartnerKeyRow>('SELECT * FROM partner_keys WHERE administration = $1 AND kid = $2', [administration, kid]);
    return rows[0] ? toPartnerKey(rows[0]) : undefined;
  }

  async arrangementStatus(administration: string): Promise<ArrangementStatus | undefined> {
    const { rows } = await this.client.query<{ status: ArrangementStatus }>('SELECT status FROM arrangement_status WHERE administration = $1', [administration]);
    return rows[0]?.status;
  }

  async findMessage(administration: string, messageId: string): Promise<AcceptedMessage | undefined> {
    const { rows } = await this.client.query<AcceptedMessageRow>('SELECT * FROM accepted_messages WHERE administration = $1 AND message_id = $2', [administration, messageId]);
    return rows[0] ? toAcceptedMessage(rows[0]) : undefined;
  }

  async cursor(administration: string): Promise<AdministrationCursor> {
    const { rows } = await this.client.query<{ last_sequence: number | null; last_snapshot_issued_at: string | null }>(
      'SELECT last_sequence, last_snapshot_issued_at FROM administration_cursors WHERE administration = $1',
      [administration],
    );
    return { lastSequence: rows[0]?.last_sequence ?? null, lastSnapshotIssuedAt: rows[0]?.last_snapshot_issued_at ?? null };
  }

  fingerprints(administration: string, memberIds?: readonly string[]): Promise<Map<string, string>> {
    return this.memberColumn<string>('fingerprint', 'removed_at IS NULL', administration, memberIds);
  }

  async loadMembers(administration: string, memberIds: readonly string[]): Promise<Map<string, StoredMember>> {
    const result = new Map<string, StoredMember>();
    if (memberIds.length === 0) return result;
    const { rows } = await this.client.query<{ member_id: string; fingerprint: string; member: string; version: number }>(
      'SELECT member_id, fingerprint, member, version FROM members WHERE administration = $1 AND member_id = ANY($2::text[]) AND removed_at IS NULL',
      [administration, memberIds],
    );
    for (const row of rows) result.set(row.member_id, { fingerprint: row.fingerprint, json: row.member, member: JSON.parse(row.member) as NormalizedMember, version: row.version });
    return result;
  }

  async removedVersions(administration: string, memberIds?: readonly string[]): Promise<Map<string, number>> {
    if (memberIds?.length === 0) return new Map();
    return this.memberColumn<number>('version', 'removed_at IS NOT NULL', administration, memberIds);
  }

  /** One column of the administration's members in `state`, by memberId: the named ones, or all of them. */
  private async memberColumn<V>(column: 'fingerprint' | 'version', state: 'removed_at IS NULL' | 'removed_at IS NOT NULL', administration: string, memberIds?: readonly string[]): Promise<Map<string, V>> {
    const named = memberIds !== undefined;
    const { rows } = await this.client.query<[string, V]>({
      text: `SELECT member_id, ${column} FROM members WHERE administration = $1 ${named ? 'AND member_id = ANY($2::text[]) ' : ''}AND ${state}`,
      values: named ? [administration, memberIds] : [administration],
      rowMode: 'array',
    });
    return new Map(rows);
  }

  async snapshotMark(administration: string): Promise<SnapshotMark | undefined> {
    const { rows } = await this.client.query<MarkRow>('SELECT * FROM snapshot_marks WHERE administration = $1', [administration]);
    return rows[0] ? toMark(rows[0]) : undefined;
  }

  /**
   * One statement per kind of write. Rows go as multi-row VALUES with one parameter per value: each
   * value travels as it is, whereas arrays bound as parameters (unnest) make node-postgres escape
   * every element into an array literal, which for a large list of JSON texts cost more than the
   * database's own work (and its garbage, seconds of collection).
   */
  async write(writes: MemberWrites): Promise<void> {
    const administration = this.administration;
    this.memberRows += writes.upserts.length + writes.removals.length;
    if (writes.upserts.length > 0) {
      const values: unknown[] = [administration];
      const searches = writes.upserts.map((u) => searchRowOf(u.member));
      const rows = writes.upserts.map((u, i) => `($1, ${placeholders(values, [u.member.memberId, u.fingerprint, u.json, u.version])}, NULL, ${placeholders(values, searches[i]!.columns)})`);
      await this.client.query(
        `INSERT INTO members (administration, member_id, fingerprint, member, version, removed_at, ${SEARCH_COLUMNS.join(', ')}) VALUES ${rows.join(', ')}
         ON CONFLICT (administration, member_id) DO UPDATE SET fingerprint = excluded.fingerprint, member = excluded.member,
           version = excluded.version, removed_at = NULL, ${SEARCH_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`,
        values,
      );
      // A member's lookups are replaced with the member; a removed member keeps its last ones (includeRemoved finds it).
      // A member stored for the first time has none: a large first load skips the deletes.
      const replaced = writes.upserts.map((u) => u.member.memberId).filter((id) => !writes.firstStored?.has(id));
      if (replaced.length > 0) await this.client.query('DELETE FROM member_lookups WHERE administration = $1 AND member_id = ANY($2::text[])', [administration, replaced]);
      const lookups = writes.upserts.flatMap((u, i) => searches[i]!.lookups.map(([kind, value]) => [u.member.memberId, kind, value] as const));
      // A member may have twenty trade names: the rows go in statements of LOOKUPS_PER_INSERT, within the 65,535 parameters a statement takes.
      for (let start = 0; start < lookups.length; start += LOOKUPS_PER_INSERT) {
        const values: unknown[] = [administration];
        const rows = lookups.slice(start, start + LOOKUPS_PER_INSERT).map((row) => `($1, ${placeholders(values, row)})`);
        await this.client.query(`INSERT INTO member_lookups (administration, member_id, kind, value) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`, values);
      }
    }
    if (writes.removals.length > 0) {
      const values: unknown[] = [administration];
      const rows = writes.removals.map((r) => `(${placeholders(values, [r.memberId, r.version, r.removedAt])})`);
      await this.client.query(
        `UPDATE members m SET version = r.version::bigint, removed_at = r.removed_at
         FROM (VALUES ${rows.join(', ')}) AS r(member_id, version, removed_at)
         WHERE m.administration = $1 AND m.member_id = r.member_id`,
        values,
      );
    }
    if (writes.history.length > 0) {
      const values: unknown[] = [administration];
      const rows = writes.history.map((v) => `($1, ${placeholders(values, [v.memberId, v.version, v.change, v.receivedAt, v.messageId, v.record])})`);
      await this.client.query(`INSERT INTO member_versions (administration, member_id, version, change, received_at, message_id, record) VALUES ${rows.join(', ')}`, values);
    }
    if (writes.records.length > 0) {
      // Identity values are drawn in the order of the VALUES list: publishing order.
      const values: unknown[] = [];
      const rows = writes.records.map((r) => `(${placeholders(values, [r.eventId, r.administration, r.memberKey, r.change, r.routingKey, r.occurredAt, r.body])})`);
      await this.client.query(`INSERT INTO outbox (event_id, administration, member_key, change, routing_key, occurred_at, body) VALUES ${rows.join(', ')}`, values);
    }
  }

  async accept(acceptance: Acceptance): Promise<void> {
    const { message, cursor } = acceptance;
    const administration = message.administration;
    await this.client.query(
      `INSERT INTO accepted_messages (administration, message_id, digest, payload_digest, kind, sequence, issued_at, received_at, kid, receipt)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [administration, message.messageId, message.digest, message.payloadDigest, message.kind, message.sequence, message.issuedAt, message.receivedAt, message.kid, JSON.stringify(message.receipt)],
    );
    await this.client.query(
      `INSERT INTO administration_cursors (administration, last_sequence, last_snapshot_issued_at) VALUES ($1, $2, $3)
       ON CONFLICT (administration) DO UPDATE SET last_sequence = excluded.last_sequence, last_snapshot_issued_at = excluded.last_snapshot_issued_at`,
      [administration, cursor.lastSequence, cursor.lastSnapshotIssuedAt],
    );
    // The relay's cursor row exists before its first record is confirmed (backlog reads walk the rows).
    await this.client.query('INSERT INTO outbox_cursors (administration, published_through) VALUES ($1, 0) ON CONFLICT (administration) DO NOTHING', [administration]);
    const mark = acceptance.snapshotMark;
    if (mark === null) await this.client.query('DELETE FROM snapshot_marks WHERE administration = $1', [administration]);
    else if (mark) {
      await this.client.query(
        `INSERT INTO snapshot_marks (administration, message_id, members_digest, members_length, rules_digest, received_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (administration) DO UPDATE SET message_id = excluded.message_id, members_digest = excluded.members_digest,
           members_length = excluded.members_length, rules_digest = excluded.rules_digest, received_at = excluded.received_at`,
        [administration, mark.messageId, mark.membersDigest, mark.membersLength, mark.rulesDigest, mark.receivedAt],
      );
    }
  }
}

/** Appends `row` to `values` and returns its placeholders ($n, $n+1, ...). */
/** Lookup rows per INSERT: three parameters each. */
const LOOKUPS_PER_INSERT = 10_000;

function placeholders(values: unknown[], row: readonly unknown[]): string {
  const first = values.length + 1;
  values.push(...row);
  return row.map((_, i) => `$${first + i}`).join(', ');
}

function toMark(row: MarkRow): SnapshotMark {
  return { messageId: row.message_id, membersDigest: row.members_digest, membersLength: row.members_length, rulesDigest: row.rules_digest, receivedAt: row.received_at };
}
