import type { RegisterVersion } from '../register/member-register-store.js';

/** A member_versions row as the register reads it, the same on both stores. */
export interface MemberVersionRow {
  version: number;
  change: RegisterVersion['change'];
  received_at: string;
  record: string;
}

/** A members row of a member stored before versions existed (no member_versions row at all). */
export interface LegacyMemberRow {
  version: number;
  removed_at: string | null;
  member: string;
}

export function toRegisterVersion(row: MemberVersionRow): RegisterVersion {
  return { version: row.version, change: row.change, acceptedAt: row.received_at, record: row.record, member: null };
}

/** Such a member as the register shows it: its stored state, with no record behind it. */
export function toLegacyVersion(row: LegacyMemberRow): RegisterVersion {
  return { version: row.version, change: row.removed_at === null ? 'added' : 'removed', acceptedAt: row.removed_at, record: null, member: row.member };
}

/** The members row of a member with no history: what the register falls back to. */
export const LEGACY_MEMBER_CONDITION = `NOT EXISTS (SELECT 1 FROM member_versions v WHERE v.administration = members.administration AND v.member_id = members.member_id)`;
