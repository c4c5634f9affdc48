import type { NormalizedMember } from './normalized-member.js';

/**
 * What the register filters and looks members up by, taken from a member as stored. Kept beside the
 * member (columns and lookup rows) so that a listing is an index range, never a parse of every member.
 */
export interface MemberSearchKeys {
  idScheme: string;
  status: NormalizedMember['status'];
  recognized: boolean;
  country: string;
  /** The roles, as `|role|role|`: a role filter is then one LIKE '%|role|%'. */
  roles: string;
  /** Partner-supplied and derived MIDs, as midKey gives them, without repeats. */
  mids: string[];
  /** The legal name and every trade name, as nameKey gives them, without repeats. */
  names: string[];
}

export function searchKeysOf(member: NormalizedMember): MemberSearchKeys {
  const names = new Set([member.legalName, ...member.tradeNames].map(nameKey).filter((name) => name !== ''));
  return {
    idScheme: member.idScheme,
    status: member.status,
    recognized: member.recognized,
    country: member.address.country,
    roles: `|${member.roles.join('|')}|`,
    mids: [...new Set(member.mids.map((mid) => midKey(mid.value)))],
    names: [...names],
  };
}

/** MIDs are upper-case letters and digits; a reader may type them in lower case or with spaces around. */
export function midKey(text: string): string {
  return text.trim().toUpperCase();
}

/**
 * A name as a prefix search compares it: accents removed (NFKD, then the combining marks dropped),
 * case folded (upper then lower, so "ß" meets "SS"), periods and apostrophes dropped (abbreviations
 * and elisions are written both ways), and every other run of what is not a letter or a digit made one
 * space, trimmed. "Société Générale S.A." and "SOCIETE GENERALE SA" both become "societe generale sa",
 * "L'Oréal" and "LOREAL" both "loreal"; a query is folded the same way before it is compared.
 */
export function nameKey(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toUpperCase()
    .toLowerCase()
    .replace(/[.'\u2019]/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * The least text greater than every text that starts with `prefix` (for a range `>= prefix AND <
 * end`): U+10FFFF appended sorts after every character a folded name can hold, in code point order as
 * in UTF-8 byte order.
 */
export function prefixEnd(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}
