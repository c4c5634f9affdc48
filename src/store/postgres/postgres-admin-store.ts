import type { AdminStore, AdminTransaction, ArrangementStatusChange, AuditDraft, AuditEntry } from '../../admin/admin-store.js';
import type { PartnerKey } from '../../domain/partner-key.js';
import type { StoredReceiptKey } from '../../receipts/receipt-key-store.js';
import type { PostgresDatabase, Queryable } from './postgres-database.js';
import { insertPartnerKey, toPartnerKey, type PartnerKeyRow } from './postgres-partner-key-store.js';
import { insertReceiptKey, toStoredKey, type ReceiptKeyRow } from './postgres-receipt-key-store.js';

/** Admin actions on any instance run one after the other: a kid checked unique stays unique to the commit. */
const ADMIN_LOCK = 'mra-gateway:admin';

interface StatusRow {
  administration: string;
  status: ArrangementStatusChange['status'];
  reason: string;
  changed_at: Date;
  changed_by: string;
}

interface AuditRow {
  seq: number;
  at: Date;
  actor_kid: string;
  actor_sub: string;
  action: AuditEntry['action'];
  administration: string | null;
  kid: string | null;
  before: string | null;
  after: string | null;
  reason: string | null;
  request_id: string | null;
}

/** The admin API's store on PostgreSQL: every admin action is one transaction under one advisory lock. */
export class PostgresAdminStore implements AdminStore {
  constructor(private readonly database: PostgresDatabase) {}

  transaction<T>(work: (tx: AdminTransaction) => Promise<T>): Promise<T> {
    return this.database.transaction((client) => work(adminTransaction(client)), ADMIN_LOCK);
  }

  async arrangementStatuses(): Promise<ArrangementStatusChange[]> {
    return (await this.database.query<StatusRow>('SELECT * FROM arrangement_status ORDER BY administration')).rows.map(toStatusChange);
  }

  async partnerKeys(administration: string): Promise<PartnerKey[]> {
    return (await this.database.query<PartnerKeyRow>('SELECT * FROM partner_keys WHERE administration = $1 ORDER BY added_at, kid', [administration])).rows.map(toPartnerKey);
  }

  async receiptKeys(): Promise<StoredReceiptKey[]> {
    return (await this.database.query<ReceiptKeyRow>('SELECT * FROM receipt_keys ORDER BY created_at DESC, kid')).rows.map(toStoredKey);
  }

  async auditEntries(after: number, limit: number): Promise<AuditEntry[]> {
    return (await this.database.query<AuditRow>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [after, limit])).rows.map(toAuditEntry);
  }
}

function adminTransaction(client: Queryable): AdminTransaction {
  return {
    partnerKey: async (administration, kid) => {
      const { rows } = await client.query<PartnerKeyRow>('SELECT * FROM partner_keys WHERE administration = $1 AND kid = $2', [administration, kid]);
      return rows[0] ? toPartnerKey(rows[0]) : undefined;
    },
    partnerKeysWithKid: async (kid) => (await client.query<PartnerKeyRow>('SELECT * FROM partner_keys WHERE kid = $1 ORDER BY administration', [kid])).rows.map(toPartnerKey),
    addPartnerKey: (key) => insertPartnerKey(client, key),
    updatePartnerKey: async (key) => {
      await client.query('UPDATE partner_keys SET not_after = $3, revoked_at = $4, revocation_reason = $5 WHERE administration = $1 AND kid = $2', [
        key.administration,
        key.kid,
        key.notAfter,
        key.revokedAt,
        key.revocationReason,
      ]);
    },
    arrangementStatus: async (administration) => {
      const { rows } = await client.query<StatusRow>('SELECT * FROM arrangement_status WHERE administration = $1', [administration]);
      return rows[0] ? toStatusChange(rows[0]) : undefined;
    },
    setArrangementStatus: async (change) => {
      await client.query(
        `INSERT INTO arrangement_status (administration, status, reason, changed_at, changed_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (administration) DO UPDATE SET status = excluded.status, reason = excluded.reason, changed_at = excluded.changed_at, changed_by = excluded.changed_by`,
        [change.administration, change.status, change.reason, change.changedAt, change.changedBy],
      );
    },
    receiptKeys: async () => (await client.query<ReceiptKeyRow>('SELECT * FROM receipt_keys ORDER BY created_at DESC, kid')).rows.map(toStoredKey),
    addReceiptKey: (key) => insertReceiptKey(client, key),
    retireReceiptKey: async (kid, at) => {
      await client.query('UPDATE receipt_keys SET retired_at = $1 WHERE kid = $2', [at, kid]);
    },
    replaceReceiptPrivateKey: async (kid, privateJwk) => {
      await client.query('UPDATE receipt_keys SET private_jwk = $1 WHERE kid = $2', [JSON.stringify(privateJwk), kid]);
    },
    appendAudit: async (draft: AuditDraft) => {
      const { rows } = await client.query<{ seq: number }>(
        `INSERT INTO audit_log (at, actor_kid, actor_sub, action, administration, kid, before, after, reason, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq`,
        [draft.at, draft.actor.kid, draft.actor.sub, draft.action, draft.administration, draft.kid, jsonOrNull(draft.before), jsonOrNull(draft.after), draft.reason, draft.actor.requestId ?? null],
      );
      return { ...draft, seq: rows[0]!.seq };
    },
  };
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

function toStatusChange(row: StatusRow): ArrangementStatusChange {
  return { administration: row.administration, status: row.status, reason: row.reason, changedAt: row.changed_at, changedBy: row.changed_by };
}

function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    actor: { kid: row.actor_kid, sub: row.actor_sub, ...(row.request_id !== null ? { requestId: row.request_id } : {}) },
    action: row.action,
    administration: row.administration,
    kid: row.kid,
    before: row.before === null ? null : (JSON.parse(row.before) as unknown),
    after: row.after === null ? null : (JSON.parse(row.after) as unknown),
    reason: row.reason,
  };
}
