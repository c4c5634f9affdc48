import type { Arrangement } from '../arrangement.js';
import { isRecognized } from '../arrangement.js';
import type { Member } from '../generated/member-list.js';
import type { Member as NormalizedMember, Mid } from '../generated/member-record.js';
import type { IdCheckResult } from '../identifiers/identifier-check.js';
import { deriveMid } from '../mid/derive-mid.js';

export type { NormalizedMember, Mid };

/**
 * The member as CBP consumers receive it: the partner's fields in a fixed order (so equal members
 * serialize identically), plus what the gateway derives: the cross-administration key, the identifier
 * check, MRA recognition and MID candidates.
 */
export function normalizeMember(member: Member, arrangement: Arrangement, idCheck: IdCheckResult): NormalizedMember {
  const { address } = member;
  const normalizedAddress: NormalizedMember['address'] = {
    lines: address.lines,
    city: address.city,
    ...(address.region !== undefined ? { region: address.region } : {}),
    ...(address.postalCode !== undefined ? { postalCode: address.postalCode } : {}),
    country: address.country,
  };
  return {
    key: memberKey(arrangement.code, member.memberId),
    memberId: member.memberId,
    idScheme: member.idScheme,
    idCheck: idCheck.outcome === 'malformed' ? 'invalid' : idCheck.outcome,
    legalName: member.legalName,
    tradeNames: member.tradeNames ?? [],
    address: normalizedAddress,
    roles: member.roles,
    status: member.status,
    statusSince: member.statusSince,
    certifiedOn: member.certifiedOn,
    lastValidatedOn: member.lastValidatedOn ?? null,
    certificateType: member.certificateType,
    recognized: isRecognized(arrangement, member.certificateType, member.status),
    mids: midsOf(member),
  };
}

/** `<ADMINISTRATION>:<memberId>`: unique across administrations, the subject consumers key on. */
export function memberKey(administration: string, memberId: string): string {
  return `${administration}:${memberId}`;
}

/**
 * Partner MIDs first, as given; then, for manufacturers, the MID derived from name and address when
 * the partner did not already send that value. A derived MID is only a candidate: the EU, for one,
 * never sends MIDs, and its operators link EORI to MID with CBP separately.
 */
function midsOf(member: Member): Mid[] {
  const mids: Mid[] = (member.mids ?? []).map((value) => ({ value, source: 'partner' }));
  if (member.roles.includes('manufacturer')) {
    const derived = deriveMid({ legalName: member.legalName, address: member.address });
    if (derived !== undefined && !mids.some((mid) => mid.value === derived)) mids.push({ value: derived, source: 'derived' });
  }
  return mids;
}
