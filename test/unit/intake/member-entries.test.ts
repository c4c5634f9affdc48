import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import { checkPayload, decodeList } from '../../../src/domain/intake/payload-decoding.js';

const decode = (text: string) => decodeList(checkPayload(Buffer.from(text)));

function problemOf(run: () => unknown): { code: string; pointers: string[] } {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return { code: error.code, pointers: (error.errors ?? []).map((e) => e.pointer) };
    throw error;
  }
  throw new Error('accepted');
}

describe('a list read a member at a time', () => {
  it('gives the list with empty members and each member as JSON.parse reads it', () => {
    const text = '{"kind":"snapshot","members":[ {"a":[1,2]} ,\n"Ä,日本", 3 ,null],"after":true}';
    const { envelope, entries } = decode(text);
    expect(envelope).toEqual({ kind: 'snapshot', members: [], after: true });
    const whole = JSON.parse(text) as { members: unknown[] };
    expect(entries!.count).toBe(4);
    expect(Array.from({ length: entries!.count }, (_, i) => entries!.parse(i))).toEqual(whole.members);
  });

  it('counts an empty array as no members and a single element as one', () => {
    expect(decode('{"members":[ \n ]}').entries!.count).toBe(0);
    expect(decode('{"members":[{"a":1}]}').entries!.count).toBe(1);
  });

  it('refuses an element that is not JSON (a trailing or doubled comma), pointing at it', () => {
    const trailing = decode('{"members":[1,2,]}').entries!;
    expect(trailing.parse(1)).toBe(2);
    expect(problemOf(() => trailing.parse(2))).toEqual({ code: 'malformed-payload', pointers: ['/members/2'] });
    expect(problemOf(() => decode('{"members":[1,,2]}').entries!.parse(1))).toMatchObject({ code: 'malformed-payload' });
  });

  it('refuses text outside the members that is not JSON', () => {
    expect(problemOf(() => decode('{"members":[1],}'))).toMatchObject({ code: 'malformed-payload' });
  });

  it('leaves members that are not an array to the schema: an object stays an (empty) object, a scalar as it is', () => {
    expect(decode('{"members":{"a":{"b":1}}}')).toEqual({ envelope: { members: {} }, entries: undefined });
    expect(decode('{"members":"all"}')).toEqual({ envelope: { members: 'all' }, entries: undefined });
    expect(decode('{"kind":"delta"}')).toEqual({ envelope: { kind: 'delta' }, entries: undefined });
  });

  it('skips a leading byte order mark and refuses bytes that are not UTF-8', () => {
    expect(decodeList(checkPayload(Buffer.from('\ufeff{"members":[]}'))).envelope).toEqual({ members: [] });
    expect(problemOf(() => checkPayload(Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d])))).toMatchObject({ code: 'malformed-payload' });
  });
});
