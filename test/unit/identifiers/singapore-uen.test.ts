import { describe, expect, it } from 'vitest';
import { checkSingaporeUen } from '../../../src/domain/identifiers/singapore-uen.js';

describe('checkSingaporeUen', () => {
  it.each([
    { value: '00192200M', why: 'business (ROB), DOMAIN.md' },
    { value: '53143018M', why: 'business (ROB)' },
    { value: '197401143C', why: 'local company (ROC), DOMAIN.md' },
    { value: '201933247R', why: 'local company (ROC)' },
    { value: 'S16FC0121D', why: 'other entity, foreign company, DOMAIN.md' },
    { value: 'T08LL0003B', why: 'other entity, limited liability partnership' },
    { value: 'T19LL0797J', why: 'other entity' },
  ])('$value is valid ($why)', ({ value }) => {
    expect(checkSingaporeUen(value)).toEqual({ outcome: 'valid' });
  });

  it.each([
    { value: '00192200C', why: 'ROB with the wrong check letter' },
    { value: '197401143D', why: 'ROC with the wrong check letter' },
    { value: 'S16FC0121E', why: 'other entity with the wrong check letter' },
    { value: 'T02LL6789Z', why: 'other entity with a check letter outside A-L' },
  ])('$value is invalid ($why)', ({ value }) => {
    expect(checkSingaporeUen(value).outcome).toBe('invalid');
  });

  it.each([
    { value: '123456', why: 'too short' },
    { value: '123456789', why: '9 digits, no check letter' },
    { value: '1234567890', why: '10 digits, no check letter' },
    { value: 'R2345678H', why: '9 characters starting with a letter' },
    { value: '1R3456789H', why: 'a letter inside the ROC digits' },
    { value: 'W23LL6789H', why: 'W is not R, S or T' },
    { value: 'S2WLL6789H', why: 'a letter in the year' },
    { value: 'T02LL6W89H', why: 'a letter in the serial' },
    { value: 'T02LL67890', why: 'a digit for the check letter' },
    { value: 'T02IO1234A', why: 'I and O are never in an entity type' },
    { value: 'F00056789H', why: 'the old foreign-company form' },
    { value: '00192200m', why: 'lower case' },
    { value: '00192200 M', why: 'a space' },
    { value: '', why: 'empty' },
  ])('$value is malformed ($why)', ({ value }) => {
    expect(checkSingaporeUen(value).outcome).toBe('malformed');
  });
});
