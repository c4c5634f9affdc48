import type { AdminStore, AdminTokenLedger } from '../admin/admin-store.js';
import type { SubmissionLogStore } from '../admin/submission-log.js';
import type { IntakeStore } from '../domain/intake/intake-store.js';
import type { PartnerKey, PartnerKeyDirectory } from '../domain/partner-key.js';
import type { OutboxStore, PendingRecord } from '../outbox/outbox-ports.js';
import type { ReceiptKeyStore } from '../receipts/receipt-key-store.js';
import type { MemberRegisterStore } from '../register/member-register-store.js';
import type { RelayLease } from '../outbox/relay-lease.js';
import type { Clock } from '../domain/clock.js';
import type { AdministrationLimiter } from '../domain/intake/administration-admission.js';
import type { InstanceRegistry } from '../operations/instance-registry.js';

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

/** The member history (every version of every member), as far as its retention is concerned. */
export interface MemberHistoryStore {
  /**
   * Deletes versions accepted before `before`, except each member's latest (its current state, or its
   * removal, stays explained); returns how many went.
   */
  prune(before: Date): Promise<number>;
}

/**
 * Keeps what an instance caches from the shared state (arrangement statuses, receipt keys) current
 * with changes made through other instances.
 */
export interface SharedStateWatch {
  /** Called after the shared state changed elsewhere: re-read what is cached. */
  onChange(listener: () => Promise<void>): void;
  start(): Promise<void>;
  /** Resolves once every change committed before the call is reflected in the caches. */
  ensureCurrent(): Promise<void>;
  /**
   * For reads that only show the cached state (the register's arrangement status): resolves once
   * every change announced so far is reflected, without a round trip while announcements are being
   * received (a change elsewhere shows within the notification's milliseconds), else as ensureCurrent.
   */
  ensureAnnounced(): Promise<void>;
  stop(): Promise<void>;
}

/** One instance owns the state: its own changes are applied as it makes them. */
export const unsharedState: SharedStateWatch = {
  onChange: () => undefined,
  start: async () => undefined,
  ensureCurrent: async () => undefined,
  ensureAnnounced: async () => undefined,
  stop: async () => undefined,
};

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
  readonly memberHistory: MemberHistoryStore;
  /** Every submission whose signature verified, with its outcome (the admin API's submission log). */
  readonly submissions: SubmissionLogStore;
  /** The register's reads (every version of every member). */
  readonly register: MemberRegisterStore;
  readonly sharedState: SharedStateWatch;
  /** The right to publish the outbox (exactly one instance holds it at a time). */
  readonly relayLease: RelayLease;
  /** The gateway instances on the store and their configuration digests (only this one on an embedded store). */
  readonly instances: InstanceRegistry;
  /**
   * The per-administration submission limit, `perMinute` per administration counted across every
   * instance on the store. `clock` times the embedded store's in-memory limiter; a shared store's
   * limiter counts by the system clock of each instance.
   */
  administrationLimiter(perMinute: number, clock?: Clock): AdministrationLimiter;
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
