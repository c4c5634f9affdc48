import type { ArrangementStatus } from '../domain/arrangement.js';
import type { PartnerKey } from '../domain/partner-key.js';
import type { SealedPrivateKey } from '../receipts/receipt-key-sealing.js';
import type { SealedReceiptKey, StoredReceiptKey } from '../receipts/receipt-key-store.js';

/** Who did an admin action: the admin key (`kid`) and the person or system it names (`sub`). */
export interface AdminActor {
  kid: string;
  sub: string;
  /** The request the action came with, to match the audit entry with the log lines. */
  requestId?: string;
}

/** An administrator's change of an arrangement's status, which overrides mras.json from then on. */
export interface ArrangementStatusChange {
  administration: string;
  status: ArrangementStatus;
  reason: string;
  changedAt: Date;
  /**
   * The administrator, as the store's single column keeps it: JSON `{"kid","sub"}` (changes stored by
   * earlier versions: `<sub> (key <kid>)`). ArrangementAdmin writes and reads it; the API shows it as
   * two fields.
   */
  changedBy: string;
}

export type AuditAction =
  | 'partner-key.add'
  | 'partner-key.retire'
  | 'partner-key.revoke'
  | 'arrangement.suspend'
  | 'arrangement.reinstate'
  | 'arrangement.terminate'
  | 'receipt-key.rotate'
  | 'receipt-key.retire';

/** One line of the audit log as it is appended. `before` and `after` are JSON values (null when none). */
export interface AuditDraft {
  at: Date;
  actor: AdminActor;
  action: AuditAction;
  administration: string | null;
  kid: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
}

/** One line of the audit log as stored, with its position `seq` (the paging cursor). */
export interface AuditEntry extends AuditDraft {
  seq: number;
}

/**
 * What one admin action reads and writes. Everything runs inside one store transaction, so a change
 * and its audit entry are committed together or not at all: there is never an unaudited change.
 */
export interface AdminTransaction {
  partnerKey(administration: string, kid: string): Promise<PartnerKey | undefined>;
  /** Every key with this kid, whatever its administration (a kid names one key across all of them). */
  partnerKeysWithKid(kid: string): Promise<PartnerKey[]>;
  addPartnerKey(key: PartnerKey): Promise<void>;
  /** Writes a key's notAfter and revocation (the only parts of a key that ever change). */
  updatePartnerKey(key: PartnerKey): Promise<void>;
  arrangementStatus(administration: string): Promise<ArrangementStatusChange | undefined>;
  setArrangementStatus(change: ArrangementStatusChange): Promise<void>;
  /** Every receipt key, retired or not, newest first. */
  receiptKeys(): Promise<StoredReceiptKey[]>;
  addReceiptKey(key: SealedReceiptKey): Promise<void>;
  retireReceiptKey(kid: string, at: Date): Promise<void>;
  /**
   * Replaces a receipt key's stored private key, and nothing else of it: only for sealing a key an
   * earlier version stored in plaintext (receipts/receipt-keys-at-rest.ts), never to change the key.
   */
  replaceReceiptPrivateKey(kid: string, privateJwk: SealedPrivateKey): Promise<void>;
  appendAudit(draft: AuditDraft): Promise<AuditEntry>;
}

/** The store behind the admin API. */
export interface AdminStore {
  /** Runs `work` as one write transaction: it commits when `work` resolves, and rolls back when it throws. */
  transaction<T>(work: (tx: AdminTransaction) => Promise<T>): Promise<T>;
  // Reads outside any transaction: they neither wait for nor take the write lock.
  /** Every status change in force (the registry at start-up, and the arrangement views). */
  arrangementStatuses(): Promise<ArrangementStatusChange[]>;
  /** An administration's partner keys, oldest first. */
  partnerKeys(administration: string): Promise<PartnerKey[]>;
  /** Every receipt key, retired or not, newest first. */
  receiptKeys(): Promise<StoredReceiptKey[]>;
  /** Up to `limit` audit entries with `seq` above `after`, oldest first. */
  auditEntries(after: number, limit: number): Promise<AuditEntry[]>;
}

/** Remembers admin token ids until their tokens expire, so that each token is accepted once. */
export interface AdminTokenLedger {
  /** Records the use of a token; false when this `jti` of this admin key was already used. */
  useOnce(kid: string, jti: string, keepUntil: Date, now: Date): Promise<boolean>;
}
