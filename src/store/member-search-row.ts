import { searchKeysOf } from '../domain/member/member-search-keys.js';
import type { NormalizedMember } from '../domain/member/normalized-member.js';

/** The members columns the register filters on, in this order: id_scheme, status, recognized, country, roles. */
export const SEARCH_COLUMNS = ['id_scheme', 'status', 'recognized', 'country', 'roles'] as const;

export type SearchColumnValues = [idScheme: string, status: string, recognized: 0 | 1, country: string, roles: string];

/** What both stores write beside a member: the filter columns and its lookup rows (kind, value). */
export interface MemberSearchRow {
  columns: SearchColumnValues;
  lookups: ReadonlyArray<readonly ['mid' | 'name', string]>;
}

export function searchRowOf(member: NormalizedMember): MemberSearchRow {
  const keys = searchKeysOf(member);
  return {
    // recognized as 0 or 1 on both stores: one SQL text for both, and a plain column to copy.
    columns: [keys.idScheme, keys.status, keys.recognized ? 1 : 0, keys.country, keys.roles],
    lookups: [...keys.mids.map((value) => ['mid', value] as const), ...keys.names.map((value) => ['name', value] as const)],
  };
}

/**
 * A member as stored by an earlier version, for the migration that indexes what is already there:
 * fields added later (tradeNames, mids) may be missing, and are then taken as empty.
 */
export function searchRowOfStored(json: string): MemberSearchRow {
  const stored = JSON.parse(json) as Partial<NormalizedMember> & Pick<NormalizedMember, 'idScheme' | 'legalName' | 'address' | 'roles' | 'status'>;
  return searchRowOf({ ...stored, tradeNames: stored.tradeNames ?? [], mids: stored.mids ?? [], recognized: stored.recognized ?? false } as NormalizedMember);
}
