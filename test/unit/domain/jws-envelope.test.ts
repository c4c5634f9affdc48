/**
 * Reading the JWS JSON serialization of an unauthenticated body (issue 11): the payload is located
 * without parsing it, everything else is bounded by MAX_ENVELOPE_BYTES, and a hostile body (millions of
 * empty objects beside or before the payload, one long string) is refused without a JSON parser seeing
 * any of it. The counters of EnvelopeWork show the work done; no clock is read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import { MAX_ENVELOPE_BYTES, parseJwsEnvelope, type EnvelopeWork } from '../../../src/domain/signature/jws-envelope.js';

const PAYLOAD = Buffer.from(JSON.stringify({ specVersion: '1.0', members: [] })).toString('base64url');
const PROTECTED = Buffer.from('{"alg":"ES256","kid":"k1","typ":"mra-member-list+json"}').toString('base64url');
const SIGNATURE = Buffer.alloc(64, 7).toString('base64url');

/** The signatures found, their payload (a view into the body) read back as its base64url text. */
const parse = (text: string | Buffer, work: EnvelopeWork = { scannedBytes: 0, parsedChars: 0 }) =>
  parseJwsEnvelope(Buffer.isBuffer(text) ? text : Buffer.from(text), 'json', work).map((signature) => ({ ...signature, payload: signature.payload.toString('latin1') }));

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('the JSON serialization of a JWS', () => {
  it('reads a flattened JWS, the payload in any position among its members', () => {
    for (const text of [
      `{"payload":"${PAYLOAD}","protected":"${PROTECTED}","signature":"${SIGNATURE}"}`,
      `{"protected":"${PROTECTED}","signature":"${SIGNATURE}","payload":"${PAYLOAD}"}`,
      ` \n{ "protected" : "${PROTECTED}" ,\t"payload" :\r\n"${PAYLOAD}" , "signature":"${SIGNATURE}" }\n`,
    ]) {
      expect(parse(text)).toEqual([{ protected: PROTECTED, payload: PAYLOAD, signature: SIGNATURE }]);
    }
  });

  it('reads a general JWS and its unprotected headers', () => {
    const text = JSON.stringify({ signatures: [{ protected: PROTECTED, header: { note: 'x' }, signature: SIGNATURE }, { protected: PROTECTED, signature: SIGNATURE }], payload: PAYLOAD });
    expect(parse(text)).toEqual([
      { protected: PROTECTED, header: { note: 'x' }, payload: PAYLOAD, signature: SIGNATURE },
      { protected: PROTECTED, payload: PAYLOAD, signature: SIGNATURE },
    ]);
  });

  it('ignores members it does not understand (RFC 7515 7.2.1), however they are nested or spelled', () => {
    const text = `{"x":{"payload":"AAAA","y":["\\"payload\\":\\"BBBB\\"",{"}":"]"}]},"payload":"${PAYLOAD}","protected":"${PROTECTED}","signature":"${SIGNATURE}","z":[1,true,null,-2.5e3]}`;
    expect(parse(text)).toEqual([{ protected: PROTECTED, payload: PAYLOAD, signature: SIGNATURE }]);
  });

  it('finds the payload JSON.parse finds, for any arrangement of members and whitespace', () => {
    const extra = fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => !['payload', 'protected', 'signature', 'header', 'signatures', '__proto__'].includes(k)), fc
      .jsonValue({ maxDepth: 4 })
      // The envelope refuses a "__proto__" key anywhere, also inside members it otherwise ignores (strict-json.test.ts).
      .filter((value) => !JSON.stringify(value).includes('"__proto__"')), { maxKeys: 4 });
    const space = fc.constantFrom('', ' ', '\n', '\t ', '\r\n  ');
    fc.assert(
      fc.property(extra, fc.nat(), space, (members, position, ws) => {
        const entries: [string, unknown][] = [...Object.entries(members), ['protected', PROTECTED], ['signature', SIGNATURE]];
        entries.splice(position % (entries.length + 1), 0, ['payload', PAYLOAD]);
        const text = `{${ws}${entries.map(([k, v]) => `${JSON.stringify(k)}${ws}:${ws}${JSON.stringify(v)}`).join(`${ws},${ws}`)}${ws}}`;
        const seen = JSON.parse(text) as Record<string, unknown>;
        expect(parse(text)).toEqual([{ protected: seen.protected, payload: seen.payload, signature: seen.signature }]);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['no payload', `{"protected":"${PROTECTED}","signature":"${SIGNATURE}"}`],
    ['a payload that is not a string', `{"payload":42,"protected":"${PROTECTED}","signature":"${SIGNATURE}"}`],
    ['a payload with an escape in it', `{"payload":"AB\\"CD","protected":"${PROTECTED}","signature":"${SIGNATURE}"}`],
    ['a payload twice', `{"payload":"${PAYLOAD}","payload":"AAAA","protected":"${PROTECTED}","signature":"${SIGNATURE}"}`],
    ['a payload only inside another member', `{"x":{"payload":"${PAYLOAD}"},"protected":"${PROTECTED}","signature":"${SIGNATURE}"}`],
    ['trailing text', `{"payload":"${PAYLOAD}","protected":"${PROTECTED}","signature":"${SIGNATURE}"} x`],
    ['an unterminated member after the payload', `{"payload":"${PAYLOAD}","protected":"${PROTECTED}","signature":"${SIGNATURE}","x":[`],
    ['an array', `["payload","${PAYLOAD}"]`],
    ['bytes that are not UTF-8 outside the payload', Buffer.concat([Buffer.from(`{"payload":"${PAYLOAD}","protected":"${PROTECTED}","signature":"${SIGNATURE}","x":"`), Buffer.from([0xff]), Buffer.from('"}')])],
  ])('refuses %s as malformed-jws', (_name, text) => {
    expect(refusal(() => parse(text))).toBe('malformed-jws');
  });
});

describe('a hostile body is refused without being parsed', () => {
  const emptyObjects = (count: number) => Array.from({ length: count }, () => '{}').join(',');

  it('millions of empty objects after the payload: refused from the body length alone', () => {
    const work = { scannedBytes: 0, parsedChars: 0 };
    const body = Buffer.from(`{"payload":"${PAYLOAD}","protected":"${PROTECTED}","signature":"${SIGNATURE}","x":[${emptyObjects(3_000_000)}]}`);
    expect(body.length).toBeGreaterThan(8 * 1024 * 1024);
    expect(refusal(() => parse(body, work))).toBe('malformed-jws');
    expect(work.parsedChars).toBe(0);
    expect(work.scannedBytes).toBeLessThan(200);
  });

  it('millions of empty objects before the payload: scanning stops after MAX_ENVELOPE_BYTES', () => {
    const work = { scannedBytes: 0, parsedChars: 0 };
    const body = Buffer.from(`{"x":[${emptyObjects(3_000_000)}],"payload":"${PAYLOAD}","protected":"${PROTECTED}","signature":"${SIGNATURE}"}`);
    expect(refusal(() => parse(body, work))).toBe('malformed-jws');
    expect(work.parsedChars).toBe(0);
    expect(work.scannedBytes).toBeLessThanOrEqual(MAX_ENVELOPE_BYTES + 1);
  });

  it('one long string before the payload: the search for its end stops after MAX_ENVELOPE_BYTES', () => {
    const work = { scannedBytes: 0, parsedChars: 0 };
    const body = Buffer.from(`{"x":"${'a'.repeat(8 * 1024 * 1024)}","payload":"${PAYLOAD}","protected":"${PROTECTED}","signature":"${SIGNATURE}"}`);
    expect(refusal(() => parse(body, work))).toBe('malformed-jws');
    expect(work.parsedChars).toBe(0);
    expect(work.scannedBytes).toBeLessThanOrEqual(MAX_ENVELOPE_BYTES + 1);
  });

  it('nesting half a million deep: never recursed into, never parsed', () => {
    const work = { scannedBytes: 0, parsedChars: 0 };
    const body = Buffer.from(`{"header":${'{"x":'.repeat(500_000)}{}${'}'.repeat(500_000)},"payload":"${PAYLOAD}"}`);
    expect(refusal(() => parse(body, work))).toBe('malformed-jws');
    expect(work.parsedChars).toBe(0);
  });

  it('a large payload with a small envelope is read, and only the envelope is parsed', () => {
    const work = { scannedBytes: 0, parsedChars: 0 };
    const payload = Buffer.alloc(6 * 1024 * 1024, 'a').toString('base64url');
    const body = Buffer.from(`{"protected":"${PROTECTED}","payload":"${payload}","signature":"${SIGNATURE}"}`);
    expect(parse(body, work)[0]!.payload.length).toBe(payload.length);
    expect(work.parsedChars).toBeLessThan(300);
    expect(work.scannedBytes).toBeLessThan(300);
  });

  it('a compact JWS whose protected header is larger than MAX_ENVELOPE_BYTES', () => {
    const huge = Buffer.from(`{"alg":"ES256","kid":"k1","typ":"mra-member-list+json","x":"${'a'.repeat(MAX_ENVELOPE_BYTES)}"}`).toString('base64url');
    expect(refusal(() => parseJwsEnvelope(Buffer.from(`${huge}.${PAYLOAD}.${SIGNATURE}`), 'compact'))).toBe('malformed-jws');
  });
});
