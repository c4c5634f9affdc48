import type { Arrangement } from '../arrangement.js';
import type { Member, Removal } from '../generated/member-list.js';
import { checkIdentifier } from '../identifiers/identifier-check.js';
import type { IncomingEntry } from '../member/change-plan.js';
import { crossCheckMember, latestPlausibleDateFor } from '../member/member-cross-checks.js';
import { serializeMember } from '../member/member-fingerprint.js';
import { normalizeMember } from '../member/normalized-member.js';
import { isPlausibleMid } from '../mid/derive-mid.js';
import { ListedProblems, ListedWarnings } from './listed-problems.js';

/**
 * The member rules that need the arrangement (rule 5a), applied to a schema-valid list one member at
 * a time, in order: a memberId appears once, the certificate type is one the program issues, the
 * identifier and partner MIDs have a shape their scheme allows. Any failure refuses the whole message
 * (rule 9) with every error listed; check-digit failures and implausible data only warn. Each member
 * that passes is normalized, serialized and fingerprinted for the change plan.
 */
export class MemberPreparation {
  readonly errors = new ListedProblems();
  readonly warnings = new ListedWarnings();
  notRecognized = 0;
  /** Every memberId so far, with the index where it first appears. */
  private readonly seen = new Map<string, number>();
  private readonly latestPlausibleDate: string;

  constructor(
    private readonly arrangement: Arrangement,
    receivedAt: Date,
  ) {
    this.latestPlausibleDate = latestPlausibleDateFor(receivedAt);
  }

  /**
   * Checks the member at `index` and returns it prepared, or undefined when it fails a rule or an
   * earlier member did (the message is refused anyway: the normalization is not worth doing).
   */
  prepare(raw: Member | Removal, index: number): IncomingEntry | undefined {
    const pointer = `/members/${index}`;
    const firstIndex = this.seen.get(raw.memberId);
    if (firstIndex !== undefined) {
      this.errors.add({ pointer: `${pointer}/memberId`, detail: `memberId ${raw.memberId} already appears at /members/${firstIndex}.` });
      return undefined;
    }
    this.seen.set(raw.memberId, index);
    if ('removed' in raw) return this.errors.empty ? { type: 'removal', index, memberId: raw.memberId } : undefined;
    const member = raw;
    const arrangement = this.arrangement;
    if (!arrangement.certificateTypes.includes(member.certificateType)) {
      this.errors.add({
        pointer: `${pointer}/certificateType`,
        detail: `${arrangement.code} issues certificate types ${arrangement.certificateTypes.join(', ')}, not ${member.certificateType}.`,
      });
    }
    const idCheck = checkIdentifier(member.idScheme, member.memberId, { administration: arrangement.code });
    if (idCheck.outcome === 'malformed') {
      this.errors.add({ pointer: `${pointer}/memberId`, detail: `Not a possible ${member.idScheme}: ${idCheck.reason}` });
    } else if (idCheck.outcome === 'invalid') {
      this.warnings.add({ pointer: `${pointer}/memberId`, code: 'identifier-check-failed', detail: `${member.idScheme} check failed: ${idCheck.reason}` });
    }
    (member.mids ?? []).forEach((mid, midIndex) => {
      if (!isPlausibleMid(mid)) this.errors.add({ pointer: `${pointer}/mids/${midIndex}`, detail: `${mid} is not a possible MID.` });
    });
    for (const warning of crossCheckMember(member, pointer, arrangement, this.latestPlausibleDate)) this.warnings.add(warning);
    if (this.errors.total > 0) return undefined;
    const normalized = normalizeMember(member, arrangement, idCheck);
    if (!normalized.recognized) this.notRecognized++;
    return { type: 'member', index, incoming: serializeMember(normalized) };
  }
}
