import type { Arrangement } from '../arrangement.js';
import type { Member } from '../generated/member-list.js';

/** A problem in partner data that does not stop the message: it is reported on the receipt. */
export interface Warning {
  /** JSON Pointer into the payload. */
  pointer: string;
  code: 'identifier-check-failed' | 'country-outside-administration' | 'date-in-future' | 'validated-before-certified' | 'unknown-member-removed' | 'warnings-truncated';
  detail: string;
}

const DAY_MS = 86_400_000;

/** The latest calendar date (YYYY-MM-DD) a partner may write when the message arrives at `receivedAt`. */
export function latestPlausibleDateFor(receivedAt: Date): string {
  return new Date(receivedAt.getTime() + DAY_MS).toISOString().slice(0, 10);
}

/**
 * Plausibility checks that catch partner data errors early without refusing the list: CBP would
 * rather have the record with a warning than lose it. Dates are calendar dates in the partner's time
 * zone, so "in the future" allows one day beyond the gateway's UTC date.
 */
export function crossCheckMember(member: Member, pointer: string, arrangement: Arrangement, latestPlausible: string): Warning[] {
  const warnings: Warning[] = [];
  if (!arrangement.countries.includes(member.address.country)) {
    warnings.push({
      pointer: `${pointer}/address/country`,
      code: 'country-outside-administration',
      detail: `${member.address.country} is not a country of administration ${arrangement.code}.`,
    });
  }
  for (const field of ['statusSince', 'certifiedOn', 'lastValidatedOn'] as const) {
    const value = member[field];
    if (value !== undefined && value > latestPlausible) {
      warnings.push({ pointer: `${pointer}/${field}`, code: 'date-in-future', detail: `${field} ${value} is in the future.` });
    }
  }
  if (member.lastValidatedOn !== undefined && member.lastValidatedOn < member.certifiedOn) {
    warnings.push({
      pointer: `${pointer}/lastValidatedOn`,
      code: 'validated-before-certified',
      detail: `lastValidatedOn ${member.lastValidatedOn} is before certifiedOn ${member.certifiedOn}.`,
    });
  }
  return warnings;
}
