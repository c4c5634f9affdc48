import { describe, expect, it } from 'vitest';
import { checkMexicoRfc } from '../../../src/domain/identifiers/mexico-rfc.js';

describe('checkMexicoRfc', () => {
  it.each([
    { value: 'GODE561231GR8', why: "SAT's worked example, a person" },
    { value: 'AUHF891016KE4', why: 'a person' },
    { value: 'MAB9307148T4', why: 'a company, padded with a space for the check' },
    { value: '&&&030828PX7', why: '& in the name letters' },
    { value: 'MUÑ110218LJ6', why: 'Ñ in the name letters' },
    { value: 'CGB000229SW0', why: '29 February 2000' },
    { value: 'AEL7407151YA', why: 'check character A (remainder 1)' },
  ])('$value is valid ($why)', ({ value }) => {
    expect(checkMexicoRfc(value)).toEqual({ outcome: 'valid' });
  });

  it.each([
    { value: 'SIN9311169P8', why: 'a real RFC whose check fails (confirmed on SAT portal per python-stdnum)' },
    { value: 'VACE460910SX6', why: 'a real personal RFC whose check fails' },
    { value: 'GODE561231GR9', why: 'check character off by one' },
    { value: 'AEL7407151YB', why: 'check character a letter other than A' },
  ])('$value is invalid ($why)', ({ value }) => {
    expect(checkMexicoRfc(value).outcome).toBe('invalid');
  });

  it.each([
    { value: 'MAB-930714-8T4', why: 'hyphens' },
    { value: 'GODE 561231 GR8', why: 'spaces' },
    { value: 'mab9307148t4', why: 'lower case' },
    { value: 'COMG600703', why: 'a person without homoclave' },
    { value: 'AKJ970902', why: 'a company without homoclave' },
    { value: 'GODE561231GR89', why: '14 characters' },
    { value: 'ABC991332XY1', why: 'month 13' },
    { value: 'ABC010229XY1', why: '29 February 2001' },
    { value: 'ABC990431XY1', why: '31 April' },
    { value: 'AABN8211038Ñ2', why: 'Ñ in the homoclave' },
    { value: '1BC930714XY1', why: 'a digit in the name letters' },
    { value: 'MUN\u0303110218LJ6', why: 'a decomposed Ñ (not NFC)' },
    { value: '', why: 'empty' },
  ])('$value is malformed ($why)', ({ value }) => {
    expect(checkMexicoRfc(value).outcome).toBe('malformed');
  });
});
