import type { Statement } from 'better-sqlite3';
import type { AdminStore, AdminTransaction, ArrangementStatusChange, AuditDraft, AuditEntry } from '../../admin/admin-store.js';
import type { PartnerKey } from '../../domain/partner-key.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { toPartnerKey, type KeyRow } from './sqlite-partner-key-store.js';
import type { StoredReceiptKey } from '../../receipts/receipt-key-store.js';
import { toStoredKey, type ReceiptKeyRow } from './sqlite-receipt-key-store.js';

interface StatusRow {
  administration: string;
  status: ArrangementStatusChange['status'];
  reason: string;
  changed_at: number;
  changed_by: string;
}

interface AuditRow {
  seq: number;
  at: number;
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

type StatementName =
  | 'partnerKeys'
  | 'partnerKey'
  | 'partnerKeysWithKid'
  | 'addPartnerKey'
  | 'updatePartnerKey'
  | 'status'
  | 'allStatuses'
  | 'setStatus'
  | 'receiptKeys'
  | 'addReceiptKey'
  | 'retireReceiptKey'
  | 'replaceReceiptPrivateKey'
  | 'appendAudit'
  | 'auditEntries';

/** The admin API's store on SQLite: every admin action is one transaction through SqliteDatabase. */
export class SqliteAdminStore implements AdminStore {
  private readonly statements: Record<StatementName, Statement>;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    this.statements = {
      partnerKeys: db.prepare('SELECT * FROM partner_keys WHERE administration = ? ORDER BY added_at, kid'),
      partnerKey: db.prepare('SELECT * FROM partner_keys WHERE administration = ? AND kid = ?'),
      partnerKeysWithKid: db.prepare('SELECT * FROM partner_keys WHERE kid = ? ORDER BY administration'),
      addPartnerKey: db.prepare(
        `INSERT INTO partner_keys (administration, kid, jwk, not_before, not_after, revoked_at, revocation_reason, added_at)
         VALUES (@administration, @kid, @jwk, @not_before, @not_after, @revoked_at, @revocation_reason, @added_at)`,
      ),
      updatePartnerKey: db.prepare(
        `UPDATE partner_keys SET not_after = @not_after, revoked_at = @revoked_at, revocation_reason = @revocation_reason
         WHERE administration = @administration AND kid = @kid`,
      ),
      status: db.prepare('SELECT * FROM arrangement_status WHERE administration = ?'),
      allStatuses: db.prepare('SELECT * FROM arrangement_status ORDER BY administration'),
      setStatus: db.prepare(
        `INSERT INTO arrangement_status (administration, status, reason, changed_at, changed_by) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (administration) DO UPDATE SET status = excluded.status, reason = excluded.reason,
           changed_at = excluded.changed_at, changed_by = excluded.changed_by`,
      ),
      receiptKeys: db.prepare('SELECT * FROM receipt_keys ORDER BY created_at DESC, kid'),
      addReceiptKey: db.prepare('INSERT INTO receipt_keys (kid, private_jwk, public_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?)'),
      retireReceiptKey: db.prepare('UPDATE receipt_keys SET retired_at = ? WHERE kid = ?'),
      replaceReceiptPrivateKey: db.prepare('UPDATE receipt_keys SET private_jwk = ? WHERE kid = ?'),
      appendAudit: db.prepare(
        `INSERT INTO audit_log (at, actor_kid, actor_sub, action, administration, kid, before, after, reason, request_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      auditEntries: db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?'),
    };
  }

  transaction<T>(work: (tx: AdminTransaction) => Promise<T>): Promise<T> {
    return this.database.transaction(() => work(this.tx));
  }

  arrangementStatuses(): Promise<ArrangementStatusChange[]> {
    return this.database.exclusive(() => (this.statements.allStatuses.all() as StatusRow[]).map(toStatusChange));
  }

  partnerKeys(administration: string): Promise<PartnerKey[]> {
    return this.database.exclusive(() => (this.statements.partnerKeys.all(administration) as KeyRow[]).map(toPartnerKey));
  }

  receiptKeys(): Promise<StoredReceiptKey[]> {
    return this.database.exclusive(() => (this.statements.receiptKeys.all() as ReceiptKeyRow[]).map(toStoredKey));
  }

  auditEntries(after: number, limit: number): Promise<AuditEntry[]> {
    return this.database.exclusive(() => (this.statements.auditEntries.all(after, limit) as AuditRow[]).map(toAuditEntry));
  }

  private readonly tx: AdminTransaction = {
    partnerKey: async (administration, kid) => {
      const row = this.statements.partnerKey.get(administration, kid) as KeyRow | undefined;
      return row ? toPartnerKey(row) : undefined;
    },
    partnerKeysWithKid: async (kid) => (this.statements.partnerKeysWithKid.all(kid) as KeyRow[]).map(toPartnerKey),
    addPartnerKey: async (key) => {
      this.statements.addPartnerKey.run(toKeyRow(key));
    },
    updatePartnerKey: async (key) => {
      this.statements.updatePartnerKey.run(toKeyRow(key));
    },
    arrangementStatus: async (administration) => {
      const row = this.statements.status.get(administration) as StatusRow | undefined;
      return row ? toStatusChange(row) : undefined;
    },
    setArrangementStatus: async (change) => {
      this.statements.setStatus.run(change.administration, change.status, change.reason, change.changedAt.getTime(), change.changedBy);
    },
    receiptKeys: async () => (this.statements.receiptKeys.all() as ReceiptKeyRow[]).map(toStoredKey),
    addReceiptKey: async (key) => {
      this.statements.addReceiptKey.run(key.kid, JSON.stringify(key.privateJwk), JSON.stringify(key.publicJwk), key.createdAt.getTime(), key.retiredAt?.getTime() ?? null);
    },
    retireReceiptKey: async (kid, at) => {
      this.statements.retireReceiptKey.run(at.getTime(), kid);
    },
    replaceReceiptPrivateKey: async (kid, privateJwk) => {
      this.statements.replaceReceiptPrivateKey.run(JSON.stringify(privateJwk), kid);
    },
    appendAudit: async (draft: AuditDraft) => {
      const { lastInsertRowid } = this.statements.appendAudit.run(
        draft.at.getTime(),
        draft.actor.kid,
        draft.actor.sub,
        draft.action,
        draft.administration,
        draft.kid,
        jsonOrNull(draft.before),
        jsonOrNull(draft.after),
        draft.reason,
        draft.actor.requestId ?? null,
      );
      return { ...draft, seq: Number(lastInsertRowid) };
    },
  };
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

function toKeyRow(key: PartnerKey): KeyRow {
  return {
    administration: key.administration,
    kid: key.kid,
    jwk: JSON.stringify(key.jwk),
    not_before: key.notBefore?.getTime() ?? null,
    not_after: key.notAfter?.getTime() ?? null,
    revoked_at: key.revokedAt?.getTime() ?? null,
    revocation_reason: key.revocationReason,
    added_at: key.addedAt.getTime(),
  };
}

function toStatusChange(row: StatusRow): ArrangementStatusChange {
  return { administration: row.administration, status: row.status, reason: row.reason, changedAt: new Date(row.changed_at), changedBy: row.changed_by };
}

function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: new Date(row.at),
    actor: { kid: row.actor_kid, sub: row.actor_sub, ...(row.request_id !== null ? { requestId: row.request_id } : {}) },
    action: row.action,
    administration: row.administration,
    kid: row.kid,
    before: row.before === null ? null : (JSON.parse(row.before) as unknown),
    after: row.after === null ? null : (JSON.parse(row.after) as unknown),
    reason: row.reason,
  };
}
