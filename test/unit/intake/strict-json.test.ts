import { describe, expect, it } from 'vitest';
import { checkJsonStructure, MAX_JSON_DEPTH, parseStrictJson, StrictJsonError } from '../../../src/domain/intake/strict-json.js';

function refusal(text: string, maxDepth?: number): { problem: string; pointer: string } {
  try {
    parseStrictJson(text, maxDepth === undefined ? {} : { maxDepth });
  } catch (error) {
    if (error instanceof StrictJsonError) return { problem: error.problem, pointer: error.pointer };
    throw error;
  }
  throw new Error(`accepted: ${text.slice(0, 80)}`);
}

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

describe('parseStrictJson refuses what JSON.parse lets through', () => {
  it.each([
    ['a duplicate at the top', '{"alg":"ES256","kid":"k","alg":"none"}', 'duplicate-key', '/alg'],
    ['a duplicate in a nested object', '{"members":[{"memberId":"1"},{"memberId":"2","address":{"city":"A","city":"B"}}]}', 'duplicate-key', '/members/1/address/city'],
    ['a duplicate spelled with an escape', '{"status":"certified","st\\u0061tus":"revoked"}', 'duplicate-key', '/status'],
    ['a duplicate where both are escaped', '{"\\u0061":1,"\\u0061":2}', 'duplicate-key', '/a'],
    ['a duplicate after many keys (set mode)', `{${Array.from({ length: 50 }, (_, i) => `"k${i}":${i}`).join(',')},"k7":0}`, 'duplicate-key', '/k7'],
    ['an empty key twice', '{"":1,"":2}', 'duplicate-key', '/'],
    ['a duplicate whose key has a slash and a tilde', '{"a/b~c":1,"a/b~c":2}', 'duplicate-key', '/a~1b~0c'],
    ['__proto__', '{"members":[{"__proto__":{"recognized":true}}]}', 'forbidden-key', '/members/0/__proto__'],
    ['__proto__ spelled with an escape', '{"\\u005f_proto__":{}}', 'forbidden-key', '/__proto__'],
    ['nesting one level too deep (arrays)', nested(MAX_JSON_DEPTH + 1), 'too-deep', '/0'.repeat(MAX_JSON_DEPTH)],
    ['nesting one level too deep (objects)', nestedObjects(MAX_JSON_DEPTH + 1), 'too-deep', '/a'.repeat(MAX_JSON_DEPTH)],
    ['not JSON', '{"a":', 'syntax', ''],
    ['trailing garbage', '{"a":1}x', 'syntax', ''],
    ['an unterminated string', '{"a":"b', 'syntax', ''],
    ['unbalanced brackets', ']]', 'syntax', ''],
  ])('%s', (_name, text, problem, pointer) => {
    expect(refusal(text)).toEqual({ problem, pointer });
  });

  it('honours a smaller maxDepth', () => {
    expect(refusal('{"a":{"b":[1]}}', 2)).toMatchObject({ problem: 'too-deep', pointer: '/a/b' });
    expect(parseStrictJson('{"a":{"b":1}}', { maxDepth: 2 })).toEqual({ a: { b: 1 } });
  });

  it('stops a depth bomb at once instead of building it', () => {
    const bomb = nested(5_000_000);
    const started = performance.now();
    expect(refusal(bomb).problem).toBe('too-deep');
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('keeps a huge key out of the pointer and message', () => {
    const key = 'k'.repeat(100_000);
    try {
      parseStrictJson(`{"${key}":1,"${key}":2}`);
      expect.fail('accepted');
    } catch (error) {
      expect((error as StrictJsonError).pointer.length).toBeLessThan(100);
      expect((error as StrictJsonError).message.length).toBeLessThan(100);
    }
  });
});

describe('parseStrictJson accepts what is fine, exactly as JSON.parse reads it', () => {
  it.each([
    ['the same key in sibling objects', '[{"a":1},{"a":2}]'],
    ['the same key at different depths', '{"a":{"a":{"a":1}}}'],
    ['a key equal to a value', '{"a":"a","b":"a"}'],
    ['keys that differ only by escapes of other characters', '{"a\\"b":1,"a\\\\b":2,"ab":3}'],
    ['brackets, quotes and commas inside strings', '{"a":"{[\\"]}\\\\","b":"x,\\"c\\":1"}'],
    ['constructor and prototype keys', '{"constructor":1,"prototype":2,"toString":3}'],
    ['nesting at the limit', nested(MAX_JSON_DEPTH)],
    ['deep brackets inside a string', JSON.stringify({ a: '['.repeat(1000) })],
    ['non-ASCII keys and values', '{"Straße":"Zürich","straße":"東京","😀":1}'],
    ['scalars', '"text"'],
    ['whitespace everywhere', ' {\n\t"a" :\r\n [ 1 , { "a" : 2 } ] ,\n "b":null } '],
    ['many keys, none repeated', `{${Array.from({ length: 500 }, (_, i) => `"key-${i}":${i}`).join(',')}}`],
  ])('%s', (_name, text) => {
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
  });

  it('agrees with JSON.parse on random documents without duplicates', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = ['a', 'b', '"', '\\', '{', '}', '[', ']', ',', ':', 'é', '\u2028', '\n', 'x'];
    const text = () => Array.from({ length: Math.floor(random() * 6) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const value = (depth: number): unknown => {
      const pick = random();
      if (depth > 6 || pick < 0.3) return [text(), Math.floor(random() * 1000) - 500, null, true, 1.5e-3][Math.floor(random() * 5)];
      if (pick < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 6); i > 0; i--) object[text()] = value(depth + 1);
      return object;
    };
    for (let i = 0; i < 500; i++) {
      const document = value(0);
      const serialized = JSON.stringify(document, null, i % 2 === 0 ? undefined : 1);
      if (serialized.includes('"__proto__"')) continue;
      expect(parseStrictJson(serialized)).toEqual(JSON.parse(serialized));
    }
  });
});

describe('checkJsonStructure', () => {
  it('checks without building the value', () => {
    expect(() => checkJsonStructure('{"a":1,"a":2}')).toThrow(StrictJsonError);
    expect(() => checkJsonStructure('{"a":1,"b":2}')).not.toThrow();
  });

  it('refuses an unusable depth limit', () => {
    expect(() => checkJsonStructure('{}', { maxDepth: 0 })).toThrow(RangeError);
  });
});

describe('checkJsonStructure spanOf', () => {
  const spanText = (text: string, key = 'members') => {
    const span = checkJsonStructure(text, { spanOf: key });
    return span && text.slice(span.start, span.end);
  };

  it('finds the exact source of the top-level array, wherever the key is', () => {
    expect(spanText('{"a":1,"members":[{"x":"]"},[1,2]],"b":{"members":[9]}}')).toBe('[{"x":"]"},[1,2]]');
    expect(spanText('{ "members" : [ ] , "kind":"snapshot"}')).toBe('[ ]');
    expect(spanText('{"kind":"x","members":{"a":[1]}}')).toBe('{"a":[1]}');
  });

  it('finds nothing for a scalar value, a nested key, a key in a string or an escaped key', () => {
    expect(spanText('{"members":"[1]","b":[2]}')).toBeUndefined();
    expect(spanText('{"members":7,"b":[2]}')).toBeUndefined();
    expect(spanText('{"a":{"members":[1]}}')).toBeUndefined();
    expect(spanText('{"a":"\\"members\\":[1]","b":[2]}')).toBeUndefined();
    expect(spanText('{"\\u006dembers":[1]}')).toBeUndefined();
    expect(spanText('[{"members":[1]}]')).toBeUndefined();
  });

  it("gives an array's element separators, and none of its elements' own commas", () => {
    const text = '{"members":[1, {"a":",","b":[2,3]} ,"x,y"],"other":[4,5]}';
    const span = checkJsonStructure(text, { spanOf: 'members' });
    expect(span && 'commas' in span ? span.commas.map((at) => text.slice(at - 1, at + 2)) : undefined).toEqual(['1, ', ' ,"']);
    const empty = checkJsonStructure('{"members":[ ]}', { spanOf: 'members' });
    expect(empty).toMatchObject({ commas: [] });
    expect(checkJsonStructure('{"members":{"a":1,"b":2}}', { spanOf: 'members' })).not.toHaveProperty('commas');
  });

  it('keeps at most maxCommas positions, and counts them all', () => {
    const span = checkJsonStructure(`{"members":[${Array.from({ length: 1000 }, () => '1').join(',')}]}`, { spanOf: 'members', maxCommas: 10 });
    expect(span).toMatchObject({ commaCount: 999 });
    expect(span && 'commas' in span ? span.commas.length : undefined).toBe(10);
  });

  it('reports byte offsets in text beyond ASCII', () => {
    const bytes = Buffer.from('{"name":"Ä日本","members":["é"]}');
    const span = checkJsonStructure(bytes, { spanOf: 'members' })!;
    expect(bytes.toString('utf8', span.start, span.end)).toBe('["é"]');
  });

  it('still refuses what it refuses without spanOf', () => {
    expect(() => checkJsonStructure('{"members":[{"a":1,"a":2}]}', { spanOf: 'members' })).toThrow(StrictJsonError);
  });
});
