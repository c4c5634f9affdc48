import type { ArrangementStatus } from '../arrangement.js';
import type { ChangeKind } from '../member/member-changes.js';
import type { PartnerKey } from '../partner-key.js';
import type { StoredMember, VersionedMember } from '../member/change-plan.js';
import type { Receipt } from './receipt.js';
import type { MarkedSnapshot, SnapshotMark } from './snapshot-repeat.js';

/** A message the gateway accepted, as kept in its ledger. */
export interface AcceptedMessage {
  administration: string;
  messageId: string;
  /** SHA-256, base64url, of the exact request body (after any Content-Encoding is removed). */
  digest: string;
  /**
   * SHA-256, base64url, of the signed payload bytes: what decides whether a later message with this
   * messageId is a replay (rule 7). Null for messages stored before the gateway kept it; those are
   * judged by `digest`.
   */
  payloadDigest: string | null;
  kind: 'snapshot' | 'delta';
  sequence: number | null;
  issuedAt: string;
  receivedAt: string;
  kid: string;
  receipt: Receipt;
}

/** Where an administration's message order stands. */
export interface AdministrationCursor {
  lastSequence: number | null;
  lastSnapshotIssuedAt: string | null;
}

/** A record waiting in the outbox to be published. */
export interface OutboxRecord {
  eventId: string;
  administration: string;
  memberKey: string;
  change: ChangeKind;
  routingKey: string;
  occurredAt: string;
  /** The record's JSON, serialized once, published as is. */
  body: string;
}

/**
 * One batch of what an accepted message writes: members as they are now (their `json` is what is
 * stored), members removed, and the records for the outbox. A message writes any number of batches
 * inside its transaction (a large list in pieces), then `accept`s; all of it commits together or not
 * at all (ICD 1, rule 9).
 */
export interface MemberWrites {
  /** Members as they are now, at their new version (a member removed earlier comes back). */
  upserts: readonly VersionedMember[];
  /** Members removed: kept as removed (since the message's receivedAt), at the version their removal has. */
  removals: readonly MemberRemoval[];
  /** In the order they are to be published. */
  records: readonly OutboxRecord[];
  /** Every member version these writes make, kept in the member history whatever the outbox keeps. */
  history: readonly MemberVersionEntry[];
  /**
   * Upserted members stored for the first time (version 1, never removed): they have no lookups to
   * replace. A hint: a store may replace lookups for every upsert.
   */
  firstStored?: ReadonlySet<string>;
}

export interface MemberRemoval {
  memberId: string;
  version: number;
  removedAt: string;
}

/** One version of one member, as the history keeps it: the record that announced it. */
export interface MemberVersionEntry {
  memberId: string;
  version: number;
  change: ChangeKind;
  /** When the gateway accepted the message (RFC 3339, as in the receipt). */
  receivedAt: string;
  messageId: string;
  /** The record's JSON: the member as of this version, what changed, and the message that caused it. */
  record: string;
}

/** What ends an accepted message's transaction: the message itself and the administration's order. */
export interface Acceptance {
  message: AcceptedMessage;
  cursor: AdministrationCursor;
  /** The administration's snapshot mark: set it, clear it (null), or leave it as it is (absent). */
  snapshotMark?: SnapshotMark | null;
}

/**
 * The store as the intake sees it inside one transaction. What it reads here is what the commit is
 * judged by: a key revoked or an arrangement suspended by an administrator (possibly through another
 * gateway instance on the same database) before this transaction began is seen here.
 */
export interface IntakeTransaction {
  /** The administration's key with this kid as stored now, if any. */
  partnerKey(administration: string, kid: string): Promise<PartnerKey | undefined>;
  /** The arrangement status an administrator set (overriding mras.json), if any. */
  arrangementStatus(administration: string): Promise<ArrangementStatus | undefined>;
  findMessage(administration: string, messageId: string): Promise<AcceptedMessage | undefined>;
  cursor(administration: string): Promise<AdministrationCursor>;
  /** Fingerprints of the named members, or of every current member when no names are given. */
  fingerprints(administration: string, memberIds?: readonly string[]): Promise<Map<string, string>>;
  /** The named current members (not those removed), with their versions. */
  loadMembers(administration: string, memberIds: readonly string[]): Promise<Map<string, StoredMember>>;
  /** The last versions of the named members that are removed, or of every removed member when no names are given. */
  removedVersions(administration: string, memberIds?: readonly string[]): Promise<Map<string, number>>;
  snapshotMark(administration: string): Promise<SnapshotMark | undefined>;
  /** Writes one batch of members and records (see MemberWrites); call as often as needed, then `accept`. */
  write(writes: MemberWrites): Promise<void>;
  accept(acceptance: Acceptance): Promise<void>;
}

/**
 * The intake's port to durable storage. `intake` runs `work` as one transaction for one
 * administration: it commits when `work` resolves (and resolves only once the commit is durable) and
 * rolls back when it throws. Transactions of one administration run one after the other, never
 * interleaved, on every gateway instance sharing the store; other administrations' may run beside it.
 */
export interface IntakeStore {
  intake<T>(administration: string, work: (tx: IntakeTransaction) => Promise<T>): Promise<T>;
  /**
   * The administration's snapshot mark and its receipt, if its members text is `membersLength`
   * characters long (most submissions are not repeats; this keeps them from loading a receipt). Read
   * outside any transaction: a hint, checked again inside.
   */
  markedSnapshot(administration: string, membersLength: number): Promise<MarkedSnapshot | undefined>;
}
