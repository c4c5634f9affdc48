import { describe, expect, it } from 'vitest';
import { checkOpaqueIdentifier } from '../../../src/domain/identifiers/opaque-identifier.js';

describe('checkOpaqueIdentifier', () => {
  it.each([
    { value: 'KR-AEO-2010-0001', why: 'letters, digits and hyphens' },
    { value: 'JO:GL/2008_17.a', why: 'every allowed symbol' },
    { value: '7', why: 'one digit' },
    { value: 'a', why: 'one lower-case letter: case is kept' },
    { value: 'Ñandu&Co', why: 'Ñ may start the value' },
    { value: 'X'.repeat(64), why: '64 characters, the maximum' },
  ])('$value is unchecked ($why)', ({ value }) => {
    expect(checkOpaqueIdentifier(value)).toEqual({ outcome: 'unchecked' });
  });

  it.each([
    { value: '', why: 'empty' },
    { value: 'X'.repeat(65), why: '65 characters' },
    { value: '-ABC', why: 'starts with a hyphen' },
    { value: '.ABC', why: 'starts with a period' },
    { value: '&ABC', why: 'starts with an ampersand' },
    { value: 'ABC DEF', why: 'a space' },
    { value: 'ABC#1', why: 'a character outside the set' },
    { value: 'ü123', why: 'a letter outside A-Z and Ñ' },
    { value: 'ABC\n', why: 'a trailing newline' },
  ])('$value is malformed ($why)', ({ value }) => {
    expect(checkOpaqueIdentifier(value).outcome).toBe('malformed');
  });
});
