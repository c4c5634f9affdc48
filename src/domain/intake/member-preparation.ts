import type { Arrangement } from '../arrangement.js';
import { GatewayError, type ProblemItem } from '../gateway-error.js';
import type { Member, MemberList, Removal } from '../generated/member-list.js';
import { checkIdentifier } from '../identifiers/identifier-check.js';
import type { IncomingEntry } from '../member/change-plan.js';
import { crossCheckMember, latestPlausibleDateFor, type Warning } from '../member/member-cross-checks.js';
import { serializeMember } from '../member/member-fingerprint.js';
import { normalizeMember } from '../member/normalized-member.js';
import { isPlausibleMid } from '../mid/derive-mid.js';

/** At most this many errors are listed in a problem document (ICD 1, rule 3). */
export const MAX_LISTED_ERRORS = 100;
/** At most this many warnings are listed on a receipt; a last warning says how many were left out. */
export const MAX_LISTED_WARNINGS = 1000;

export interface PreparedMembers {
  entries: IncomingEntry[];
  warnings: Warning[];
  notRecognized: number;
}

/**
 * Normalizes every member of a schema-valid list and applies the member rules that need the
 * arrangement: a memberId appears once, the certificate type is one the program issues, the
 * identifier and partner MIDs have a shape their scheme allows. Any failure refuses the whole message
 * (rule 9) with every error listed; check-digit failures and implausible data only warn.
 */
export function prepareMembers(list: MemberList, arrangement: Arrangement, receivedAt: Date): PreparedMembers {
  const errors: ProblemItem[] = [];
  const warnings: Warning[] = [];
  const entries: IncomingEntry[] = [];
  const seen = new Map<string, number>();
  let notRecognized = 0;
  const latestPlausibleDate = latestPlausibleDateFor(receivedAt);

  (list.members as (Member | Removal)[]).forEach((raw, index) => {
    const pointer = `/members/${index}`;
    const firstIndex = seen.get(raw.memberId);
    if (firstIndex !== undefined) {
      errors.push({ pointer: `${pointer}/memberId`, detail: `memberId ${raw.memberId} already appears at /members/${firstIndex}.` });
      return;
    }
    seen.set(raw.memberId, index);
    if ('removed' in raw) {
      entries.push({ type: 'removal', index, memberId: raw.memberId });
      return;
    }
    const member = raw;
    if (!arrangement.certificateTypes.includes(member.certificateType)) {
      errors.push({
        pointer: `${pointer}/certificateType`,
        detail: `${arrangement.code} issues certificate types ${arrangement.certificateTypes.join(', ')}, not ${member.certificateType}.`,
      });
    }
    const idCheck = checkIdentifier(member.idScheme, member.memberId, { administration: arrangement.code });
    if (idCheck.outcome === 'malformed') {
      errors.push({ pointer: `${pointer}/memberId`, detail: `Not a possible ${member.idScheme}: ${idCheck.reason}` });
    } else if (idCheck.outcome === 'invalid') {
      warnings.push({ pointer: `${pointer}/memberId`, code: 'identifier-check-failed', detail: `${member.idScheme} check failed: ${idCheck.reason}` });
    }
    (member.mids ?? []).forEach((mid, midIndex) => {
      if (!isPlausibleMid(mid)) errors.push({ pointer: `${pointer}/mids/${midIndex}`, detail: `${mid} is not a possible MID.` });
    });
    warnings.push(...crossCheckMember(member, pointer, arrangement, latestPlausibleDate));
    if (errors.length > 0) return; // the message is refused anyway; skip the normalization work
    const normalized = normalizeMember(member, arrangement, idCheck);
    if (!normalized.recognized) notRecognized++;
    entries.push({ type: 'member', index, incoming: serializeMember(normalized) });
  });

  if (errors.length > 0) {
    throw new GatewayError('invalid-members', `${errors.length} member error(s); the message was not applied.`, {
      errors: errors.slice(0, MAX_LISTED_ERRORS),
    });
  }
  return { entries, warnings, notRecognized };
}

/** Caps the warnings listed on a receipt, saying how many more there were. */
export function capWarnings(warnings: Warning[]): Warning[] {
  if (warnings.length <= MAX_LISTED_WARNINGS) return warnings;
  return [
    ...warnings.slice(0, MAX_LISTED_WARNINGS),
    { pointer: '', code: 'warnings-truncated', detail: `${warnings.length - MAX_LISTED_WARNINGS} more warning(s) not listed.` },
  ];
}
