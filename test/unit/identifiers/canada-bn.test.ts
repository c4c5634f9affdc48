import { describe, expect, it } from 'vitest';
import { checkCanadaBn } from '../../../src/domain/identifiers/canada-bn.js';

describe('checkCanadaBn', () => {
  it.each([
    { value: '123026635RC0001', why: 'BN with program account (DOMAIN.md)' },
    { value: '123026635', why: 'the 9-digit BN alone' },
    { value: '000089987RC1818', why: 'leading zeros' },
    { value: '123456782', why: 'Luhn check digit 2' },
    { value: '123026635RM0001', why: 'import-export program account' },
    { value: '123026635ZZ0001', why: 'a program identifier the CRA may add later' },
  ])('$value is valid ($why)', ({ value }) => {
    expect(checkCanadaBn(value)).toEqual({ outcome: 'valid' });
  });

  it.each([
    { value: '123456783', why: 'fails Luhn (DOMAIN.md)' },
    { value: '123456783RC0001', why: 'fails Luhn, with program account' },
    { value: '123026636', why: 'one digit off' },
  ])('$value is invalid ($why)', ({ value }) => {
    expect(checkCanadaBn(value).outcome).toBe('invalid');
  });

  it.each([
    { value: '12302663', why: '8 digits' },
    { value: '1230266350', why: '10 digits' },
    { value: '123026635RC001', why: 'program reference of 3 digits' },
    { value: '123026635R0001', why: 'program identifier of 1 letter' },
    { value: '123026635rc0001', why: 'lower case' },
    { value: '12302 6635', why: 'a space' },
    { value: '123026635-RC-0001', why: 'hyphens' },
    { value: '12345678Z', why: 'a letter in the BN' },
    { value: '000000000', why: 'all zeros, a placeholder' },
    { value: '000000000RC0001', why: 'all-zero BN with program account' },
    { value: '', why: 'empty' },
  ])('$value is malformed ($why)', ({ value }) => {
    expect(checkCanadaBn(value).outcome).toBe('malformed');
  });
});
