import { describe, expect, it } from 'vitest';
import { checkJapanCorporateNumber } from '../../../src/domain/identifiers/japan-corporate-number.js';

describe('checkJapanCorporateNumber', () => {
  it.each([
    { value: '7000012050002', why: "the National Tax Agency's own number" },
    { value: '1180301018771', why: 'a registered company' },
    { value: '5835678256246', why: 'python-stdnum example' },
    { value: '8700110005901', why: 'check digit 8' },
  ])('$value is valid ($why)', ({ value }) => {
    expect(checkJapanCorporateNumber(value)).toEqual({ outcome: 'valid' });
  });

  it.each([
    { value: '2835678256246', why: 'wrong check digit' },
    { value: '8000012050002', why: 'check digit off by one' },
    { value: '0000012050002', why: 'check digit 0 never occurs' },
  ])('$value is invalid ($why)', ({ value }) => {
    expect(checkJapanCorporateNumber(value).outcome).toBe('invalid');
  });

  it.each([
    { value: '7-0000-1205-0002', why: 'hyphenated display form' },
    { value: '700001205000', why: '12 digits' },
    { value: '70000120500021', why: '14 digits' },
    { value: 'A000012050002', why: 'a letter' },
    { value: '７００００１２０５０００２', why: 'full-width digits' },
    { value: '9000000000000', why: 'base number of all zeros, though its check digit computes' },
    { value: '', why: 'empty' },
  ])('$value is malformed ($why)', ({ value }) => {
    expect(checkJapanCorporateNumber(value).outcome).toBe('malformed');
  });
});
