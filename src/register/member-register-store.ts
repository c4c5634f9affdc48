import type { ChangeKind } from '../domain/member/member-changes.js';

/** One version of one member as the register holds it. */
export interface RegisterVersion {
  version: number;
  change: ChangeKind;
  /** When the gateway accepted the message that made this version (RFC 3339); null for a member stored before versions existed. */
  acceptedAt: string | null;
  /** The record that announced this version (JSON text); null for a member stored before versions existed (then `member` holds it). */
  record: string | null;
  /** The member's JSON as stored, when there is no record (stored before versions existed). */
  member: string | null;
}

/**
 * The register's reads: every version of every member, current ones and removed ones, by acceptance
 * time. Reads change nothing and take no lock.
 */
export interface MemberRegisterStore {
  /** The member's latest version (its current state, or its removal), if the gateway ever held it. */
  latest(administration: string, memberId: string): Promise<RegisterVersion | undefined>;
  /** The version in force at `at` (RFC 3339, compared with acceptance times), if there was one. */
  asOf(administration: string, memberId: string, at: string): Promise<RegisterVersion | undefined>;
  /** Versions after `afterVersion`, oldest first, at most `limit`. */
  history(administration: string, memberId: string, afterVersion: number, limit: number): Promise<RegisterVersion[]>;
}
