import { describe, expect, it } from 'vitest';
import { checkIndiaPan } from '../../../src/domain/identifiers/india-pan.js';

describe('checkIndiaPan', () => {
  it.each([
    { value: 'ABCCD1234E', holder: 'company' },
    { value: 'ABCPD1234E', holder: 'person' },
    { value: 'ABCHD1234E', holder: 'Hindu undivided family' },
    { value: 'ABCFD1234E', holder: 'firm' },
    { value: 'ABCAD1234E', holder: 'association of persons' },
    { value: 'ABCTD1234E', holder: 'trust' },
    { value: 'ABCBD1234E', holder: 'body of individuals' },
    { value: 'ABCLD1234E', holder: 'local authority' },
    { value: 'ABCJD1234E', holder: 'artificial juridical person' },
    { value: 'ABCGD1234E', holder: 'government' },
  ])('$value is unchecked (holder type: $holder)', ({ value }) => {
    expect(checkIndiaPan(value)).toEqual({ outcome: 'unchecked' });
  });

  it.each([
    { value: 'ABCDE1234F', why: 'D is not a holder type' },
    { value: 'ABCXD1234E', why: 'X is not a holder type' },
    { value: 'abccd1234e', why: 'lower case' },
    { value: 'ABCCD1234', why: '9 characters' },
    { value: 'ABCCD12345', why: 'a digit for the last letter' },
    { value: 'ABCC1D234E', why: 'a digit among the first five' },
    { value: 'ABCCD 1234E', why: 'a space' },
    { value: '', why: 'empty' },
  ])('$value is malformed ($why)', ({ value }) => {
    expect(checkIndiaPan(value).outcome).toBe('malformed');
  });
});
