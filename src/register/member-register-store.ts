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

/** A member's latest version in a listing: which member, then the version as `latest` gives it. */
export interface ListedVersion extends RegisterVersion {
  administration: string;
  memberId: string;
}

/** What a listing asks for: every condition given must hold (ICD 5). */
export interface MemberListQuery {
  administration?: string;
  recognized?: boolean;
  status?: string;
  role?: string;
  country?: string;
  /** Latest version accepted at or after this instant (RFC 3339, as toISOString writes it). */
  changedSince?: string;
  includeRemoved: boolean;
  /** A MID as midKey folds it (partner-supplied or derived). */
  mid?: string;
  /** The member's own identifier: its idScheme and memberId. */
  identifier?: { scheme: string; memberId: string };
  /** A prefix of the legal or a trade name, as nameKey folds it (not empty). */
  namePrefix?: string;
  /** Keyset position: members after this one in (administration, memberId) order. */
  after?: { administration: string; memberId: string };
  limit: number;
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
  /**
   * Members' latest versions matching the query, in (administration, memberId) order (code point
   * order on both stores), at most `limit`. One statement: each page is one consistent read.
   */
  list(query: MemberListQuery): Promise<ListedVersion[]>;
}
