import { describe, expect, it } from 'vitest';
import { midKey, nameKey, prefixEnd, searchKeysOf } from '../../../src/domain/member/member-search-keys.js';
import type { NormalizedMember } from '../../../src/domain/member/normalized-member.js';

describe('member search keys', () => {
  it('folds names so that accents, case, periods and apostrophes do not matter', () => {
    expect(nameKey('Société Générale S.A.')).toBe('societe generale sa');
    expect(nameKey('SOCIETE  GENERALE SA')).toBe('societe generale sa');
    expect(nameKey("L'Oréal")).toBe('loreal');
    expect(nameKey('L’ORÉAL')).toBe('loreal');
    expect(nameKey('Straße & Söhne GmbH')).toBe('strasse sohne gmbh');
    expect(nameKey('Coca-Cola/Ｆｕｌｌ')).toBe('coca cola full');
    expect(nameKey('株式会社トヨタ')).toBe(nameKey('株式会社トヨタ'.normalize('NFD')));
    expect(nameKey(' ... ')).toBe('');
  });

  it('bounds a prefix range above every name that starts with it, in the stores\' UTF-8 byte order', () => {
    const utf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const end = prefixEnd('acme');
    for (const name of ['acme', 'acme gmbh', 'acmezzz', 'acme\u{FFFF}', 'acme\u{10FFFE}']) expect([name, utf8(name, 'acme') >= 0 && utf8(name, end) < 0]).toEqual([name, true]);
    expect(utf8('acmf', end)).toBeGreaterThan(0);
  });

  it('takes the MIDs and every name of a member, each once', () => {
    const member = {
      idScheme: 'EORI',
      legalName: 'Acme GmbH',
      tradeNames: ['ACME', 'Acmé Parts'],
      address: { lines: ['1 Road'], city: 'Berlin', country: 'DE' },
      roles: ['manufacturer', 'exporter'],
      status: 'certified',
      recognized: true,
      mids: [{ value: 'DEACMGMB1BER', source: 'partner' }, { value: 'deacmgmb1ber', source: 'derived' }],
    } as unknown as NormalizedMember;
    expect(searchKeysOf(member)).toEqual({
      idScheme: 'EORI',
      status: 'certified',
      recognized: true,
      country: 'DE',
      roles: '|manufacturer|exporter|',
      mids: ['DEACMGMB1BER'],
      names: ['acme gmbh', 'acme', 'acme parts'],
    });
    expect(midKey(' frlavie243bre ')).toBe('FRLAVIE243BRE');
  });
});
