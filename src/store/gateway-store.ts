import type { AdminStore, AdminTokenLedger } from '../admin/admin-store.js';
import type { IntakeStore } from '../domain/intake/intake-store.js';
import type { PartnerKey, PartnerKeyDirectory } from '../domain/partner-key.js';
import type { OutboxStore, PendingRecord } from '../outbox/outbox-ports.js';
import type { ReceiptKeyStore } from '../receipts/receipt-key-store.js';

/** Partner signing keys, per administration, with their validity windows. */
export interface PartnerKeyStore extends PartnerKeyDirectory {
  /** Every key of every administration, by administration, then oldest first (the start-up scan). */
  all(): Promise<PartnerKey[]>;
  /** An administration's keys, oldest first. */
  list(administration: string): Promise<PartnerKey[]>;
  hasKeys(administration: string): Promise<boolean>;
  /** Adds keys; all or none. A kid already registered for the administration is an error. */
  add(keys: readonly PartnerKey[]): Promise<void>;
}

/**
 * The gateway's durable state, whichever database holds it: every port the features use. The
 * composition root (store/open-store.ts) picks the adapter; nothing else knows which one runs.
 */
export interface GatewayStore {
  /** Which adapter, for logs and metrics. */
  readonly kind: 'sqlite' | 'postgres';
  readonly partnerKeys: PartnerKeyStore;
  readonly receiptKeys: ReceiptKeyStore;
  readonly admin: AdminStore;
  readonly adminTokens: AdminTokenLedger;
  readonly outbox: OutboxStore;
  /**
   * The intake's store. `onRecordsDurable` hears of each commit's records once they are durable, in
   * outbox order, so that this instance's relay can publish them from memory.
   */
  intakeStore(onRecordsDurable?: (records: PendingRecord[]) => void): IntakeStore;
  /**
   * Runs start-up work that two instances starting at once must not both do (importing bootstrap
   * keys, creating the first receipt key): one after the other across every instance on the store.
   */
  exclusively<T>(work: () => Promise<T>): Promise<T>;
  /** Whether the store answers and can write (for readiness). */
  isWritable(): Promise<boolean>;
  close(): Promise<void>;
}
