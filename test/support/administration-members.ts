import type { Member } from './member-lists.js';
import { euMember } from './member-lists.js';

/** Administrations the reliability scenarios send for, with identifier schemes each accepts. */
export const SCENARIO_ADMINISTRATIONS = ['EU', 'GB', 'JP', 'MX', 'KR', 'CA'] as const;
export type ScenarioAdministration = (typeof SCENARIO_ADMINISTRATIONS)[number];

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * A plausible member of `administration`'s program, distinct for each `index` (and `tag`). EU and GB
 * use EORIs with a prefix they issue (src/domain/identifiers/eori.ts); the others use idScheme OTHER,
 * which any administration may send (an opaque identifier, `unchecked`), so no check digit is needed.
 * Certificate types are the ones config/mras.json lists for the program; Canada needs a region.
 */
export function memberOf(administration: ScenarioAdministration, index: number, tag = 'A', overrides: Partial<Member> = {}): Member {
  const name = `${administration} ${tag} member ${index}`;
  const base = (memberId: string, idScheme: Member['idScheme'], country: string, certificateType: string, extra: Partial<Member['address']> = {}): Member =>
    euMember({
      memberId,
      idScheme,
      legalName: name,
      tradeNames: [],
      address: { lines: [`${index} Harbour Road`], city: 'Port City', postalCode: pad(index % 100_000, 5), country, ...extra },
      certificateType,
      ...overrides,
    });
  switch (administration) {
    case 'EU':
      return base(`DE${tag}${pad(index, 9)}`, 'EORI', 'DE', 'AEOF');
    case 'GB':
      return base(`GB${tag}${pad(index, 11)}`, 'EORI', 'GB', 'AEOS');
    case 'JP':
      return base(`JP-${tag}-${pad(index, 7)}`, 'OTHER', 'JP', 'AEO');
    case 'MX':
      return base(`MX-${tag}-${pad(index, 7)}`, 'OTHER', 'MX', 'OEA');
    case 'KR':
      return base(`KR-${tag}-${pad(index, 7)}`, 'OTHER', 'KR', 'AEO');
    case 'CA':
      return base(`CA-${tag}-${pad(index, 7)}`, 'OTHER', 'CA', 'PIP', { region: 'ON' });
  }
}

export function membersOf(administration: ScenarioAdministration, count: number, tag = 'A', from = 0): Member[] {
  return Array.from({ length: count }, (_, i) => memberOf(administration, from + i, tag));
}

/**
 * The next snapshot after `members`: every 20th member dropped (removed), every 10th suspended
 * (status-changed), every 4th renamed (updated), the others unchanged, and `added` appended. The
 * pattern spreads the changes over the whole list, so members whose first record was delivered before
 * a fault and members whose first record was still waiting both get a second one.
 */
export function nextSnapshot(members: readonly Member[], added: readonly Member[] = [], round = 1): Member[] {
  const changed = members.flatMap((member, i): Member[] => {
    if (i % 20 === 7) return [];
    if (i % 10 === 3) return [{ ...member, status: member.status === 'certified' ? 'suspended' : 'certified', statusSince: '2025-01-15' }];
    if (i % 4 === 1) return [{ ...member, legalName: `${member.legalName} (renamed ${round})` }];
    return [member];
  });
  return [...changed, ...added];
}
