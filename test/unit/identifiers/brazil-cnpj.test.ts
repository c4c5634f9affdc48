import { describe, expect, it } from 'vitest';
import { checkBrazilCnpj } from '../../../src/domain/identifiers/brazil-cnpj.js';

describe('checkBrazilCnpj', () => {
  it.each([
    { value: '16727230000197', why: 'numeric, DOMAIN.md' },
    { value: '12ABC34501DE35', why: 'alphanumeric (from July 2026), DOMAIN.md' },
    { value: '00000000000191', why: 'leading zeros' },
    { value: '11017153000249', why: 'a branch other than 0001' },
    { value: '61882613000194', why: 'numeric' },
  ])('$value is valid ($why)', ({ value }) => {
    expect(checkBrazilCnpj(value)).toEqual({ outcome: 'valid' });
  });

  it.each([
    { value: '16727230000198', why: 'second check digit wrong' },
    { value: '16727230000187', why: 'first check digit wrong' },
    { value: '12ABC34501DE36', why: 'alphanumeric, second check digit wrong' },
  ])('$value is invalid ($why)', ({ value }) => {
    expect(checkBrazilCnpj(value).outcome).toBe('invalid');
  });

  it.each([
    { value: '16.727.230/0001-97', why: 'the printed form' },
    { value: '12.ABC.345/01DE-35', why: 'the printed alphanumeric form' },
  ])('$value is malformed with a reason about punctuation ($why)', ({ value }) => {
    const result = checkBrazilCnpj(value);
    expect(result.outcome).toBe('malformed');
    expect(result).toHaveProperty('reason', expect.stringContaining('punctuation'));
  });

  it.each([
    { value: '1672723000019', why: '13 characters' },
    { value: '167272300001977', why: '15 characters' },
    { value: '12abc34501de35', why: 'lower case' },
    { value: '12ABC34501DEA5', why: 'a letter in the check digits' },
    { value: '16727230/0001-97', why: 'partly punctuated' },
    { value: '16 727 230 0001 97', why: 'spaces' },
    { value: '00000000000000', why: 'all zeros, a placeholder' },
    { value: '', why: 'empty' },
  ])('$value is malformed ($why)', ({ value }) => {
    expect(checkBrazilCnpj(value).outcome).toBe('malformed');
  });
});
