import { describe, expect, it } from 'vitest';
import { checkEori } from '../../../src/domain/identifiers/eori.js';

describe('checkEori', () => {
  it.each([
    { administration: 'EU', value: 'DE123456789012345', why: '17 characters, the maximum' },
    { administration: 'EU', value: 'FR1', why: 'one character after the prefix' },
    { administration: 'EU', value: 'IE1234567X', why: 'letters in the body' },
    { administration: 'EU', value: 'EL094019245', why: 'Greece as EL' },
    { administration: 'EU', value: 'GR094019245', why: 'Greece as GR' },
    { administration: 'GB', value: 'GB123456789000', why: 'Great Britain' },
    { administration: 'GB', value: 'XI123456789000', why: 'Northern Ireland' },
    { administration: 'JP', value: 'JP1234567', why: 'another administration using its own code' },
  ])('$administration: $value is unchecked ($why)', ({ administration, value }) => {
    expect(checkEori(value, administration)).toEqual({ outcome: 'unchecked' });
  });

  it.each([
    { administration: 'EU', value: 'GB123456789000', why: 'the UK left the EU' },
    { administration: 'EU', value: 'XI123456789000', why: 'Northern Ireland EORIs come through GB' },
    { administration: 'EU', value: 'EU123456789', why: 'EU is not a member state' },
    { administration: 'EU', value: 'CH123456789', why: 'Switzerland is not a member state' },
    { administration: 'GB', value: 'DE123456789012', why: 'GB does not issue German EORIs' },
    { administration: 'JP', value: 'DE123456789012', why: 'another administration may only use its own code' },
    { administration: 'EU', value: 'DE1234567890123456', why: '18 characters' },
    { administration: 'EU', value: 'DE', why: 'prefix only' },
    { administration: 'EU', value: 'de123456789', why: 'lower case' },
    { administration: 'EU', value: 'DE 123456789', why: 'a space' },
    { administration: 'EU', value: 'DE-123456789', why: 'a hyphen' },
    { administration: 'EU', value: 'D1123456789', why: 'a digit in the prefix' },
    { administration: 'EU', value: '', why: 'empty' },
  ])('$administration: $value is malformed ($why)', ({ administration, value }) => {
    expect(checkEori(value, administration).outcome).toBe('malformed');
  });
});
