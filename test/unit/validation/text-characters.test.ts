import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMemberListFile } from '../../../src/cli/partner/member-list-file.js';
import { CliError } from '../../../src/cli/cli-error.js';
import { SCHEMA_DIR, schemaErrors, validators } from '../../../src/validation/json-schemas.js';
import { isAcceptableText, refusedCharacter } from '../../../src/domain/text-characters.js';
import { euMember, memberList } from '../../support/member-lists.js';

type Json = Record<string, unknown>;
const schema = JSON.parse(readFileSync(path.join(SCHEMA_DIR, 'member-list.v1.json'), 'utf8')) as { properties: Json; $defs: Record<string, Json & { properties: Json }> };
const address = schema.$defs.address!.properties as Record<string, Json & { items?: Json }>;
const freeTextPatterns = {
  boundedText: schema.$defs.boundedText!.pattern,
  'address.lines': address.lines!.items!.pattern,
  'address.city': address.city!.pattern,
  'address.region': address.region!.pattern,
};

/** Every character the rule refuses, as code points. */
function isRefusedCodePoint(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    (code >= 0xd800 && code <= 0xdfff)
  );
}

describe('the characters free text may not contain', () => {
  it('are one pattern in every free-text field of the schema', () => {
    expect(new Set(Object.values(freeTextPatterns)).size).toBe(1);
  });

  it('are the same set in the schema (under the u flag, as Ajv compiles it) and in text-characters.ts, for every UTF-16 code unit', () => {
    const pattern = new RegExp(String(freeTextPatterns.boundedText), 'u');
    const disagreements: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const text = `a${String.fromCharCode(code)}b`;
      const expected = !isRefusedCodePoint(code);
      if (pattern.test(text) !== expected || isAcceptableText(text) !== expected) disagreements.push(code.toString(16));
    }
    expect(disagreements).toEqual([]);
  });

  it('leave valid surrogate pairs alone: characters beyond U+FFFF pass, a pair cut or reversed does not', () => {
    const pattern = new RegExp(String(freeTextPatterns.boundedText), 'u');
    for (const text of ['\u{10000}', '\u{1F600}', '\u{20000}', '\u{10FFFF}', 'a\ud83d\ude00b', '\u{1F468}\u200d\u{1F469}\u200d\u{1F467}']) {
      expect(pattern.test(text), text).toBe(true);
      expect(isAcceptableText(text), text).toBe(true);
    }
    for (const text of ['\ud83d', '\ude00', 'a\ude00\ud83db', '\ud83d\ud83d', '\u{1F600}\ud800']) {
      expect(pattern.test(text), escape(text)).toBe(false);
      expect(isAcceptableText(text), escape(text)).toBe(false);
    }
  });

  it('are reported with the code point, what it is, and where (in code points)', () => {
    expect(refusedCharacter('Acme GmbH')).toBeUndefined();
    expect(refusedCharacter('Acme \u202e')).toEqual({ codePoint: 'U+202E', position: 6, kind: 'a bidirectional formatting character' });
    expect(refusedCharacter('\u{1F600}\ud800')).toEqual({ codePoint: 'U+D800', position: 2, kind: 'an unpaired surrogate' });
    expect(refusedCharacter('x\u0085')).toEqual({ codePoint: 'U+0085', position: 2, kind: 'a control character' });
    expect(refusedCharacter('\t')).toEqual({ codePoint: 'U+0009', position: 1, kind: 'a control character' });
    expect(refusedCharacter('a\u2029')).toEqual({ codePoint: 'U+2029', position: 2, kind: 'a line or paragraph separator' });
    expect(refusedCharacter('\u2069')).toMatchObject({ kind: 'a bidirectional formatting character' });
  });
});

/** A list that sets every property the schema knows, down to the address. */
function fullList(): Json {
  const member = euMember({ address: { lines: ['Industriestrasse 12', 'Tor 3'], city: 'Hamburg', region: 'HH', postalCode: '20095', country: 'DE' }, mids: ['DEAMAPLA12HAM'] });
  return memberList([member]) as unknown as Json;
}

function stringLeaves(value: unknown, pointer = ''): string[] {
  if (typeof value === 'string') return [pointer];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringLeaves(item, `${pointer}/${i}`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([name, item]) => stringLeaves(item, `${pointer}/${name}`));
  return [];
}

function withCharacter(root: Json, pointer: string, character: string): Json {
  const copy = structuredClone(root);
  const tokens = pointer.split('/').slice(1);
  const parent = tokens.slice(0, -1).reduce<Record<string, unknown>>((node, token) => node[token] as Record<string, unknown>, copy);
  const last = tokens.at(-1)!;
  const text = parent[last] as string;
  const middle = Math.floor(text.length / 2);
  parent[last] = `${text.slice(0, middle)}${character}${text.slice(middle)}`;
  return copy;
}

describe('every string of a member list is covered', () => {
  const SAMPLES = ['\ud800', '\udfff', '\u202e', '\u2066', '\u0085', '\u009f', '\u0000', '\u001b', '\u2028'];

  it('the full list sets every property of the envelope, the member and the address', () => {
    const list = fullList();
    expect(schemaErrors(validators.memberList, list)).toEqual([]);
    const member = (list.members as Json[])[0]!;
    expect(Object.keys(list).sort()).toEqual(Object.keys(schema.properties).sort());
    expect(Object.keys(member).sort()).toEqual(Object.keys(schema.$defs.member!.properties).sort());
    expect(Object.keys(member.address as Json).sort()).toEqual(Object.keys(address).sort());
  });

  it('refuses any string with a refused character, pointing at it', () => {
    const list = fullList();
    const leaves = stringLeaves(list);
    expect(leaves).toContain('/members/0/legalName');
    expect(leaves).toContain('/members/0/address/region');
    const missed: string[] = [];
    for (const pointer of leaves) {
      for (const character of SAMPLES) {
        const pointers = schemaErrors(validators.memberList, withCharacter(list, pointer, character)).map((e) => e.pointer);
        if (!pointers.includes(pointer)) missed.push(`${pointer} ${escape(character)}`);
      }
    }
    expect(missed).toEqual([]);
  });

  it('refuses them in a removal and in property names too', () => {
    const delta = memberList([{ memberId: 'DE1\u202e', removed: true }], { kind: 'delta' });
    expect(schemaErrors(validators.memberList, delta).map((e) => e.pointer)).toContain('/members/0/memberId');
    const member = { ...euMember(), ['x\ud800']: 1 };
    expect(schemaErrors(validators.memberList, memberList([member as never])).map((e) => e.pointer)).toEqual(['/members/0/x\ud800']);
  });

  it('names the refused character instead of quoting the pattern', () => {
    expect(schemaErrors(validators.memberList, memberList([euMember({ legalName: '\u{1F600} Acme \u202e' })]))).toEqual([
      {
        pointer: '/members/0/legalName',
        detail: 'has U+202E, a bidirectional formatting character, at character 8: text must be well-formed Unicode without control characters, line or paragraph separators or bidirectional formatting characters',
      },
    ]);
    // Other pattern errors keep Ajv's words.
    expect(schemaErrors(validators.memberList, memberList([euMember({ certificateType: 'AEO F' })]))).toEqual([{ pointer: '/members/0/certificateType', detail: 'must match pattern "^[A-Za-z0-9-]{1,32}$"' }]);
  });

  it('the member-record schema promises the same for names', () => {
    const record = JSON.parse(readFileSync(path.join(SCHEMA_DIR, 'member-record.v1.json'), 'utf8')) as { $defs: { member: { properties: Json } }; properties: { previous: { properties: Json } } };
    for (const properties of [record.$defs.member.properties, record.properties.previous.properties]) {
      expect(properties.legalName).toEqual({ $ref: 'member-list.v1.json#/$defs/boundedText' });
      expect(properties.tradeNames).toEqual({ type: 'array', items: { $ref: 'member-list.v1.json#/$defs/boundedText' } });
    }
  });
});

describe('the partner tool', () => {
  it('refuses a list with a lone surrogate before sending it, naming the field', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mra-text-'));
    try {
      const file = path.join(dir, 'list.json');
      writeFileSync(file, JSON.stringify(memberList([euMember({ legalName: 'NAME' })])).replace('"NAME"', '"Acme \\udc00 GmbH"'));
      let error: unknown;
      try {
        readMemberListFile(file);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).code).toBe('schema-violation');
      expect((error as CliError).details).toEqual([expect.stringMatching(/^\/members\/0\/legalName: has U\+DC00, an unpaired surrogate/) as unknown]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function escape(text: string): string {
  return [...text].map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join('');
}
