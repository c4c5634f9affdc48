/**
 * The register bench's members: benchMember's realistic EU members, made over for each of five
 * administrations, each with one MID of its own (partner-supplied) so that a MID lookup names one member,
 * as a screening system's would. Manufacturers also get the MID the gateway derives from name and address,
 * which many bench members share (their names and streets repeat); the lookups use the partner's MIDs.
 */
import type { Member } from '../src/domain/generated/member-list.js';
import { benchMember } from './bench-members.js';

export const REGISTER_ADMINISTRATIONS = ['EU', 'GB', 'JP', 'MX', 'KR'] as const;
export type RegisterAdministration = (typeof REGISTER_ADMINISTRATIONS)[number];

const CERTIFICATE_TYPES: Record<Exclude<RegisterAdministration, 'EU'>, string> = { GB: 'AEOS', JP: 'AEO', MX: 'OEA', KR: 'AEO' };
const CITIES: Record<Exclude<RegisterAdministration, 'EU'>, string> = { GB: 'Felixstowe', JP: 'Yokohama', MX: 'Manzanillo', KR: 'Busan' };

/** The partner-supplied MID of member `i` of `administration`: unique across the bench, 3 to 15 of A-Z 0-9, starting with the country. */
export function registerMid(administration: RegisterAdministration, i: number): string {
  const country = administration === 'EU' ? benchMember(i).address.country : administration;
  return `${country}${administration}${String(i).padStart(9, '0')}`;
}

/** Member `i` of `administration`. */
export function registerMember(administration: RegisterAdministration, i: number): Member {
  const base = benchMember(i);
  const mids = [registerMid(administration, i)];
  if (administration === 'EU') return { ...base, mids };
  return {
    ...base,
    memberId: administration === 'GB' ? `GB${String(100_000_000_000 + i)}` : `${administration}-${i}`,
    idScheme: administration === 'GB' ? 'EORI' : 'OTHER',
    address: { ...base.address, city: CITIES[administration], country: administration },
    certificateType: CERTIFICATE_TYPES[administration],
    mids,
  };
}
