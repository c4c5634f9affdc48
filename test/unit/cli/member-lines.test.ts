import { describe, expect, it } from 'vitest';
import { memberJsonLine, memberTableHeader, memberTableRow } from '../../../src/cli/consumer/member-lines.js';

const item = {
  key: 'FR:FR12345678901',
  version: 3,
  change: 'status-changed',
  member: { status: 'suspended', recognized: false, certificateType: 'AEOF', legalName: 'La Vie en Rose SARL', mids: [{ value: 'FRLAVIE243BRE', source: 'partner' }, { value: 'FRLAVIE243BRS', source: 'derived' }] },
  arrangement: { code: 'FR', status: 'active' },
};

describe('the lookup output', () => {
  it('prints a JSON line as the register gave it', () => {
    expect(JSON.parse(memberJsonLine(item))).toEqual(item);
  });

  it('prints a table row under the header, marking a derived MID with *', () => {
    const header = memberTableHeader();
    const row = memberTableRow(item);
    const at = (title: string) => row.slice(header.indexOf(title)).split(/ {2,}| $/)[0];
    expect(at('MEMBER')).toBe('FR:FR12345678901');
    expect(at('VERSION')).toBe('3');
    expect(at('RECOGNIZED')).toBe('no');
    expect(at('MIDS')).toBe('FRLAVIE243BRE,FRLAVIE243BRS*');
    expect(row.trimEnd().endsWith('La Vie en Rose SARL')).toBe(true);
    expect(memberTableRow({})).toBe('\n');
  });
});
