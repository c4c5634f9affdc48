import { describe, expect, it } from 'vitest';
import { deriveMid, isPlausibleMid } from '../../../src/domain/mid/derive-mid.js';
import type { MidSource } from '../../../src/domain/mid/derive-mid.js';

/** A Tokyo address without a street number, so the MID is `JP` + name part + `TOK`. */
function midOfName(legalName: string): string | undefined {
  return deriveMid({ legalName, address: { lines: ['Main Street'], city: 'Tokyo', country: 'JP' } });
}

/** Ozrock in Melbourne, so the MID is `AUOZR` + number part + `MEL`. */
function midOfStreet(lines: string[]): string | undefined {
  return deriveMid({ legalName: 'Ozrock', address: { lines, city: 'Melbourne', country: 'AU' } });
}

describe('deriveMid', () => {
  describe('name part', () => {
    it.each([
      { name: 'Amalgamated Plastics Corp.', part: 'AMAPLA', source: 'CBP' },
      { name: 'Bergstrom', part: 'BER', source: 'CBP: one word' },
      { name: 'A.B.C. Company', part: 'ABCCOM', source: 'CBP: initials written together' },
      { name: 'A B C Company', part: 'ABCCOM', source: 'CBP: initials with spaces' },
      { name: 'O.A.S.I.S. Corp.', part: 'OASCOR', source: 'CBP' },
      { name: 'The Garment and Textiles Company Co. Ltd', part: 'GARTEX', source: 'CBP: the, and ignored' },
      { name: 'Rawles-Aden Corp.', part: 'RAWCOR', source: 'CBP: hyphenated name is one word' },
      { name: '20th Century Fox', part: '20TCEN', source: 'CBP: digits count' },
      { name: 'Concept 2000', part: 'CON200', source: 'CBP: digits count' },
      { name: 'Rawles - Aden Corp.', part: 'RAWCOR', source: 'CBP: spaces around the hyphen' },
      { name: 'Dr. S.A. Smith', part: 'DRSA', source: 'CBP: short words give fewer characters' },
      { name: 'Shavings B L Inc.', part: 'SHABL', source: 'CBP: initials as the second word' },
      { name: 'The Embassy of Spain', part: 'EMBSPA', source: 'CBP: of ignored' },
      { name: 'A Smith Trading', part: 'SMITRA', source: 'decision: a bare A is the article' },
      { name: 'A. Smith Trading', part: 'ASMI', source: 'decision: A. is an initial' },
      { name: 'An Ocean of Textiles', part: 'OCETEX', source: 'an, of ignored' },
      { name: 'amalgamated plastics corp.', part: 'AMAPLA', source: 'lower case' },
      { name: '  Amalgamated   Plastics  ', part: 'AMAPLA', source: 'extra white space' },
      { name: 'Müller GmbH', part: 'MULGMB', source: 'decision: diacritics stripped' },
      { name: 'Société Générale', part: 'SOCGEN', source: 'decision: diacritics stripped' },
      { name: 'Großmann AG', part: 'GROAG', source: 'decision: ß spelled SS' },
      { name: 'Ørsted A/S', part: 'ORSAS', source: 'decision: Ø spelled O; A/S is one word' },
      { name: "O'Neil & Sons Ltd", part: 'ONESON', source: 'decision: apostrophe removed, lone & dropped' },
      { name: 'AT&T Inc.', part: 'ATTINC', source: 'decision: & inside a word removed' },
      { name: 'ＡＢＣ Trading', part: 'ABCTRA', source: 'decision: full-width letters folded' },
      { name: 'Toyota 株式会社 Motor', part: 'TOYMOT', source: 'decision: words in other scripts dropped' },
    ])('$name gives $part ($source)', ({ name, part }) => {
      expect(midOfName(name)).toBe(`JP${part}TOK`);
    });
  });

  describe('street number part', () => {
    it.each([
      { line: '92 Alice Springs Road', part: '92', source: 'trade guides (AUOZR92MEL)' },
      { line: '11455 Main Street Suite 9999', part: '1145', source: 'CBP: largest number, first four digits' },
      { line: '12-34 56 Akasaka Road', part: '1234', source: 'CBP: hyphen inside a number ignored' },
      { line: '12,34,56 Akasaka Road', part: '1234', source: 'trade guides: commas inside a number ignored' },
      { line: '2-6, 8-Chome', part: '26', source: 'decision: comma before a space ends the number' },
      { line: '7 12th Street', part: '7', source: 'decision: an ordinal names the street' },
      { line: '1st Avenue 250', part: '250', source: 'decision: an ordinal names the street' },
      { line: 'Unit 0092 Alice Springs Road', part: '92', source: 'decision: leading zeros dropped' },
      { line: '1.234 Rua Augusta', part: '234', source: 'decision: a period separates numbers' },
      { line: '123456789012345678901 Long Road', part: '1234', source: 'beyond Number precision' },
      { line: '９２ Alice Springs Road', part: '92', source: 'decision: full-width digits folded' },
      { line: 'Alice Springs Road', part: '', source: 'CBP: no number, no part' },
    ])('"$line" gives "$part" ($source)', ({ line, part }) => {
      expect(midOfStreet([line])).toBe(`AUOZR${part}MEL`);
    });

    it.each([
      { lines: ['Building A', '92 Alice Springs Road'], part: '92', why: 'the first line with a digit' },
      { lines: ['92 Alice Springs Road', 'Suite 9999'], part: '92', why: 'later lines are not the street' },
      { lines: ['Alice Springs Road', 'Docklands'], part: '', why: 'no line has a digit' },
    ])('lines $lines give "$part" ($why)', ({ lines, part }) => {
      expect(midOfStreet(lines)).toBe(`AUOZR${part}MEL`);
    });
  });

  describe('country and city parts', () => {
    it.each<{ source: MidSource; mid: string; why: string }>([
      {
        source: { legalName: 'Ozrock', address: { lines: ['92 Alice Springs Road'], city: 'Melbourne', country: 'AU' } },
        mid: 'AUOZR92MEL',
        why: 'the complete trade-guide vector',
      },
      {
        source: { legalName: 'Amalgamated Plastics Corp.', address: { lines: ['11455 Main Street'], city: 'Melbourne', country: 'AU' } },
        mid: 'AUAMAPLA1145MEL',
        why: 'every part at full length: 15 characters',
      },
      {
        source: { legalName: 'Maple Leaf Foods Inc.', address: { lines: ['6985 Financial Drive'], city: 'Mississauga', country: 'CA', region: 'ON' } },
        mid: 'XOMAPLEA6985MIS',
        why: 'Canada: Ontario is XO',
      },
      {
        source: { legalName: 'Bergstrom', address: { lines: ['1 Rue Principale'], city: 'Montréal', country: 'CA', region: ' qc ' } },
        mid: 'XQBER1MON',
        why: 'Canada: region trimmed and upper-cased; Quebec is XQ',
      },
      {
        source: { legalName: 'Bergstrom', address: { lines: ['1 Water Street'], city: "St. John's", country: 'CA', region: 'NL' } },
        mid: 'XWBER1STJ',
        why: 'Canada: Newfoundland and Labrador is XW',
      },
      {
        source: { legalName: 'Bergstrom', address: { lines: ['Bay Street'], city: 'St. Michael', country: 'BB' } },
        mid: 'BBBERSTM',
        why: 'CBP: city St. Michael gives STM',
      },
      {
        source: { legalName: 'Bergstrom', address: { lines: ['Rua Augusta'], city: 'São Paulo', country: 'BR' } },
        mid: 'BRBERSAO',
        why: 'city with a diacritic',
      },
      {
        source: { legalName: 'Bergstrom', address: { lines: ['Main Street'], city: 'Ii', country: 'FI' } },
        mid: 'FIBERII',
        why: 'a city with two letters gives two',
      },
      {
        source: { legalName: 'Bergstrom', address: { lines: ['Main Street'], city: '6th of October City', country: 'EG' } },
        mid: 'EGBERTHO',
        why: 'digits in the city skipped',
      },
      {
        source: { legalName: 'Bergstrom', address: { lines: ['Main Street'], city: 'Tokyo', country: 'jp' } },
        mid: 'JPBERTOK',
        why: 'country upper-cased',
      },
    ])('$mid ($why)', ({ source, mid }) => {
      expect(deriveMid(source)).toBe(mid);
    });
  });

  describe('when no MID can be built', () => {
    const address = { lines: ['92 Alice Springs Road'], city: 'Melbourne', country: 'AU' };
    it.each<{ source: MidSource; why: string }>([
      { source: { legalName: 'Maple Leaf Foods', address: { ...address, country: 'CA' } }, why: 'Canada without a region' },
      { source: { legalName: 'Maple Leaf Foods', address: { ...address, country: 'CA', region: 'Ontario' } }, why: 'Canada with a region that is not a postal abbreviation' },
      { source: { legalName: 'Maple Leaf Foods', address: { ...address, country: 'CA', region: 'WA' } }, why: 'Canada with a US state' },
      { source: { legalName: 'Ozrock', address: { ...address, country: 'UK' } }, why: 'UK is not an ISO code (GB is)' },
      { source: { legalName: 'Ozrock', address: { ...address, country: 'EU' } }, why: 'EU is not a country' },
      { source: { legalName: 'トヨタ自動車株式会社', address }, why: 'a name only in another script' },
      { source: { legalName: 'The and Of', address }, why: 'a name of ignored words only' },
      { source: { legalName: '&', address }, why: 'a name of punctuation only' },
      { source: { legalName: 'Ozrock', address: { ...address, city: '東京' } }, why: 'a city only in another script' },
    ])('gives undefined for $why', ({ source }) => {
      expect(deriveMid(source)).toBeUndefined();
    });
  });
});

describe('isPlausibleMid', () => {
  it.each([
    { value: 'AUOZR92MEL', why: 'trade-guide vector' },
    { value: 'AUAMAPLA1145MEL', why: '15 characters' },
    { value: 'XOMAPLEA6985MIS', why: 'Canadian province code' },
    { value: 'XYBER1WHI', why: 'Yukon' },
    { value: 'JP20TCEN1TOK', why: 'digits in the name part' },
    { value: 'GBA', why: 'three characters, the schema minimum' },
  ])('$value is plausible ($why)', ({ value }) => {
    expect(isPlausibleMid(value)).toBe(true);
  });

  it.each([
    { value: 'CAMAPLEA6985MIS', why: 'CA is never a MID country' },
    { value: 'UKABCCOM12LON', why: 'UK is not ISO 3166-1' },
    { value: 'EUABCCOM12BRU', why: 'EU is not a country' },
    { value: 'ZZABC', why: 'ZZ is not assigned' },
    { value: 'XXABC', why: 'X? other than a province code' },
    { value: '12ABC', why: 'digits for the country' },
    { value: 'auozr92mel', why: 'lower case' },
    { value: 'AUOZR 92MEL', why: 'a space' },
    { value: 'AUOZR-92MEL', why: 'a hyphen' },
    { value: 'AUAMAPLA1145MELB', why: '16 characters' },
    { value: 'AU', why: 'country only' },
    { value: '', why: 'empty' },
  ])('$value is not plausible ($why)', ({ value }) => {
    expect(isPlausibleMid(value)).toBe(false);
  });

  it.each([
    { legalName: 'Ozrock', address: { lines: ['92 Alice Springs Road'], city: 'Melbourne', country: 'AU' } },
    { legalName: 'Maple Leaf Foods Inc.', address: { lines: ['6985 Financial Drive'], city: 'Mississauga', country: 'CA', region: 'ON' } },
    { legalName: 'The Garment and Textiles Company Co. Ltd', address: { lines: ['12-34 56 Akasaka Road'], city: 'Tokyo', country: 'JP' } },
  ])('accepts what deriveMid builds for $legalName', (source) => {
    const mid = deriveMid(source);
    expect(mid).toBeDefined();
    expect(isPlausibleMid(mid!)).toBe(true);
  });
});
