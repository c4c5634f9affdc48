import type { ProblemItem } from '../gateway-error.js';

/** Which schema a list's members are held to: a snapshot's are members, a delta's members or removals. */
export type EntryKind = 'member' | 'member-or-removal';

/**
 * The member-list schema (schemas/member-list.v1.json) as the intake applies it: to the list without
 * its members, then to each member on its own, so that a long list is never one value in memory.
 * Errors point into the value validated: the intake puts `/members/<index>` before an entry's.
 */
export interface MemberListSchema {
  /** Errors of a list value (the intake passes it with an empty `members` array). */
  list(value: unknown): ProblemItem[];
  entry(kind: EntryKind, value: unknown): ProblemItem[];
}

/**
 * The kind of entry the schema requires of a list's members. It mirrors the schema's condition: its
 * `if` holds for an object whose `kind` is "delta" or absent (an absent `kind` is an error of its own).
 */
export function entryKindOf(list: unknown): EntryKind {
  if (typeof list !== 'object' || list === null || Array.isArray(list)) return 'member';
  const kind = (list as Record<string, unknown>).kind;
  return kind === undefined || kind === 'delta' ? 'member-or-removal' : 'member';
}
