import type { Member } from '../src/domain/generated/member-list.js';

const COUNTRIES = ['DE', 'FR', 'IT', 'NL', 'ES', 'BE', 'PL', 'AT', 'SE', 'IE'];
const CITIES: Record<string, string> = { DE: 'Hamburg', FR: 'Le Havre', IT: 'Genova', NL: 'Rotterdam', ES: 'Valencia', BE: 'Antwerpen', PL: 'Gdansk', AT: 'Linz', SE: 'Goteborg', IE: 'Dublin' };
const WORDS = ['Nordic', 'Atlantic', 'Precision', 'Global', 'Logistics', 'Components', 'Textiles', 'Chemicals', 'Machinery', 'Foods', 'Freight', 'Polymers', 'Steel', 'Optics', 'Pharma'];
const FORMS = ['GmbH', 'SA', 'SpA', 'BV', 'SL', 'NV', 'Sp. z o.o.', 'AG', 'AB', 'Ltd'];
const TYPES = ['AEOF', 'AEOS', 'AEOF', 'AEOC'];
const ROLES: Member['roles'][] = [['manufacturer', 'exporter'], ['exporter'], ['carrier'], ['forwarder', 'warehouse'], ['manufacturer'], ['customs-broker']];

/** A realistic EU member (about 450 bytes of JSON); `version` changes its trade name so deltas have work. */
export function benchMember(i: number, version = 0): Member {
  const country = COUNTRIES[i % COUNTRIES.length]!;
  const name = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7 + 3) % WORDS.length]} ${FORMS[i % FORMS.length]}`;
  return {
    memberId: `${country}${String(100_000_000_000 + i)}`,
    idScheme: 'EORI',
    legalName: `${name} ${i}`,
    tradeNames: version === 0 ? [] : [`${WORDS[i % WORDS.length]} Trading v${version}`],
    address: { lines: [`Hafenstrasse ${(i % 400) + 1}`, `Unit ${i % 50}`], city: CITIES[country]!, postalCode: String(10000 + (i % 89999)), country },
    roles: ROLES[i % ROLES.length]!,
    status: i % 97 === 0 ? 'suspended' : 'certified',
    statusSince: '2022-06-01',
    certifiedOn: '2019-03-15',
    lastValidatedOn: '2024-09-30',
    certificateType: TYPES[i % TYPES.length]!,
  };
}
