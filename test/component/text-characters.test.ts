/**
 * Text that is not well-formed Unicode, and invisible control characters, through HTTP: a member list
 * whose names or address text carry an unpaired surrogate, a C1 control, a line separator or a
 * bidirectional formatting character is refused with 422 schema-violation and a JSON Pointer at the
 * field, nothing stored or published (strict consumers would refuse such a record: a poison message).
 * Names in any script, and characters beyond U+FFFF, still pass and arrive exactly as sent. The admin
 * API refuses such a reason (400, nothing audited) and such a token sub (401).
 *
 * A lone surrogate cannot be sent as UTF-8 (that is malformed-payload, see hostile-input.test.ts); it
 * arrives as a JSON escape, so these payloads are written as JSON text with the escapes in them.
 */
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { TestConsumer } from '../support/broker.js';
import { headerText, signRawCompact } from '../support/hostile-jws.js';
import { euMember, memberList, type Member } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { startTestGateway, type TestGateway, disposeTestGateway, embeddedDb } from '../support/test-gateway.js';

let eu: PartnerSigningKey;
let spare: PartnerSigningKey;
let admin: AdminSigningKey;
let test: TestGateway;
let consumer: TestConsumer;

beforeAll(async () => {
  [eu, spare, admin] = await Promise.all([createPartnerKey('EU'), createPartnerKey('EU'), createAdminKey()]);
  test = await startTestGateway({ keys: [eu, spare], adminKeys: [admin.publicJwk] });
  consumer = await TestConsumer.bind(test.topology.exchange);
});

afterAll(async () => {
  await consumer?.close();
  await disposeTestGateway(test);
});

const PLACEHOLDER = 'PLACEHOLDER-TEXT';

/**
 * The JSON text of a one-member EU list whose `field` is `jsonText` verbatim: the characters of a JSON
 * string literal without its quotes, escapes and all (`Acme \\ud800 GmbH` is a lone surrogate).
 */
function listWith(field: (text: string) => Partial<Member>, jsonText: string, memberId = 'DE1234567890123'): string {
  const text = JSON.stringify(memberList([euMember({ memberId, ...field(PLACEHOLDER) })]));
  expect(text.split(PLACEHOLDER)).toHaveLength(2);
  return text.replace(PLACEHOLDER, jsonText);
}

const post = (body: string) => test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(body);
const sign = (payload: string) => signRawCompact(headerText(eu), payload, eu);

const legalName = (text: string): Partial<Member> => ({ legalName: text });

interface Refused {
  name: string;
  field: (text: string) => Partial<Member>;
  pointer: string;
  /** As it stands between the quotes of the JSON string. */
  jsonText: string;
  character: string;
}

const refused: Refused[] = [
  { name: 'a lone high surrogate in legalName', field: legalName, pointer: '/members/0/legalName', jsonText: 'Acme \\ud800 GmbH', character: 'U+D800' },
  { name: 'a lone low surrogate in legalName', field: legalName, pointer: '/members/0/legalName', jsonText: 'Acme \\udc00 GmbH', character: 'U+DC00' },
  { name: 'a reversed pair (low, then high) in legalName', field: legalName, pointer: '/members/0/legalName', jsonText: 'Acme \\ude00\\ud83d GmbH', character: 'U+DE00' },
  { name: 'a high surrogate ending legalName', field: legalName, pointer: '/members/0/legalName', jsonText: 'Acme GmbH \\ud83d', character: 'U+D83D' },
  { name: 'U+202E RIGHT-TO-LEFT OVERRIDE in legalName (escaped)', field: legalName, pointer: '/members/0/legalName', jsonText: 'Acme \\u202egnp.exe', character: 'U+202E' },
  { name: 'U+202E RIGHT-TO-LEFT OVERRIDE in legalName (as UTF-8)', field: legalName, pointer: '/members/0/legalName', jsonText: 'Acme \u202egnp.exe', character: 'U+202E' },
  { name: 'U+2066 LEFT-TO-RIGHT ISOLATE in legalName', field: legalName, pointer: '/members/0/legalName', jsonText: 'Acme \\u2066GmbH\\u2069', character: 'U+2066' },
  { name: 'U+0085 NEXT LINE (C1) in legalName (escaped)', field: legalName, pointer: '/members/0/legalName', jsonText: 'Acme\\u0085GmbH', character: 'U+0085' },
  { name: 'U+0085 NEXT LINE (C1) in legalName (as UTF-8)', field: legalName, pointer: '/members/0/legalName', jsonText: 'Acme\u0085GmbH', character: 'U+0085' },
  { name: 'U+2028 LINE SEPARATOR in legalName', field: legalName, pointer: '/members/0/legalName', jsonText: 'Acme\u2028GmbH', character: 'U+2028' },
  { name: 'a lone surrogate in a trade name', field: (t) => ({ tradeNames: ['AmaPlast', t] }), pointer: '/members/0/tradeNames/1', jsonText: '\\udfff', character: 'U+DFFF' },
  { name: 'U+202D in an address line', field: (t) => ({ address: { lines: ['Industriestrasse 12', t], city: 'Hamburg', country: 'DE' } }), pointer: '/members/0/address/lines/1', jsonText: 'Hof \\u202d3', character: 'U+202D' },
  { name: 'a lone surrogate in the city', field: (t) => ({ address: { lines: ['Industriestrasse 12'], city: t, country: 'DE' } }), pointer: '/members/0/address/city', jsonText: 'Hamburg\\ud800', character: 'U+D800' },
  { name: 'U+009B (C1 CSI) in the region', field: (t) => ({ address: { lines: ['Industriestrasse 12'], city: 'Hamburg', region: t, country: 'DE' } }), pointer: '/members/0/address/region', jsonText: 'HH\\u009b31m', character: 'U+009B' },
];

describe('member lists with text that is not well-formed Unicode or carries control characters', () => {
  it('JSON.stringify writes a lone surrogate as an escape (Node 20), so a partner library may well send one', () => {
    expect(JSON.stringify('\ud800')).toBe('"\\ud800"');
    expect(JSON.parse('"\\ud800"')).toBe('\ud800');
  });

  it.each(refused)('$name -> 422 schema-violation at $pointer, nothing stored or published', async (row) => {
    const before = test.counts();
    const response = await post(sign(listWith(row.field, row.jsonText)));

    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:schema-violation', status: 422 });
    const errors = (response.body as { errors: { pointer: string; detail: string }[] }).errors;
    expect(errors).toEqual([{ pointer: row.pointer, detail: expect.stringContaining(row.character) as unknown }]);
    expect(test.counts()).toEqual(before);
    const jwks = (await test.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
    const { payload } = await compactVerify((response.body as { receipt: string }).receipt, createLocalJWKSet(jwks));
    expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toMatchObject({ outcome: 'rejected', problem: 'urn:mra-gateway:problem:schema-violation' });
  });

  it('lists every such field of a list at once', async () => {
    const text = JSON.stringify(memberList([euMember({ legalName: 'NAME', tradeNames: ['TRADE'], address: { lines: ['LINE'], city: 'CITY', country: 'DE' } })]))
      .replace('"NAME"', '"\\ud800"')
      .replace('"TRADE"', '"\\u202e"')
      .replace('"LINE"', '"\\u0085"')
      .replace('"CITY"', '"\\u2069"');
    const response = await post(sign(text));
    expect(response.status).toBe(422);
    const pointers = (response.body as { errors: { pointer: string }[] }).errors.map((e) => e.pointer).sort();
    expect(pointers).toEqual(['/members/0/address/city', '/members/0/address/lines/0', '/members/0/legalName', '/members/0/tradeNames/0']);
  });

  it('published nothing for any of them', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(consumer.records).toEqual([]);
    expect(test.counts()).toMatchObject({ messages: 0, outbox: 0, members: 0 });
  });
});

describe('names in any script, and characters beyond U+FFFF, still pass', () => {
  const accepted: { memberId: string; jsonText: string; legalName: string }[] = [
    { memberId: 'DE100000000001', jsonText: 'Müller & Söhne Lebensmittel GmbH', legalName: 'Müller & Söhne Lebensmittel GmbH' },
    { memberId: 'DE100000000002', jsonText: 'Société d\\u2019Équipements Ñandú SA', legalName: 'Société d\u2019Équipements Ñandú SA' },
    { memberId: 'DE100000000003', jsonText: '株式会社東京精密機械製作所', legalName: '株式会社東京精密機械製作所' },
    { memberId: 'DE100000000004', jsonText: 'شركة الخليج للتجارة / חברת הים בע"מ'.replace('"', '\\"'), legalName: 'شركة الخليج للتجارة / חברת הים בע"מ' },
    { memberId: 'DE100000000005', jsonText: 'Acme 😀 Foods', legalName: 'Acme 😀 Foods' },
    { memberId: 'DE100000000006', jsonText: 'Acme \\ud83d\\ude00 Foods (escaped pair)', legalName: 'Acme \u{1F600} Foods (escaped pair)' },
    { memberId: 'DE100000000007', jsonText: '\\ud840\\udc00 Trading (U+20000, CJK Extension B)', legalName: '\u{20000} Trading (U+20000, CJK Extension B)' },
    { memberId: 'DE100000000008', jsonText: 'Family 👨‍👩‍👧 Co', legalName: 'Family \u{1F468}\u200d\u{1F469}\u200d\u{1F467} Co' },
  ];

  it('accepts them, and the records carry each name exactly as sent', async () => {
    const members = accepted.map(({ memberId }) => euMember({ memberId, legalName: `NAME-${memberId}`, tradeNames: [] }));
    let text = JSON.stringify(memberList(members));
    for (const { memberId, jsonText } of accepted) text = text.replace(`"NAME-${memberId}"`, `"${jsonText}"`);
    const response = await post(sign(text));
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    expect(response.body).toMatchObject({ counts: { members: accepted.length, added: accepted.length } });

    const records = await consumer.waitForCount(accepted.length);
    const names = Object.fromEntries(records.map((r) => [r.body.member.memberId as string, r.body.member.legalName]));
    expect(names).toEqual(Object.fromEntries(accepted.map((a) => [a.memberId, a.legalName])));
  });
});

describe('admin text that is stored and shown again', () => {
  const auditCount = () => (embeddedDb(test.gateway).prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
  /** Sends `json` as the exact body text (JSON.stringify would do as well: it writes the same escapes). */
  const send = async (method: 'post' | 'patch', path: string, json: string) => {
    const token = await adminToken(admin);
    return test.http[method](`/admin/v1${path}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json').send(json);
  };

  const reasons = [
    { name: 'a lone surrogate', json: '{"reason":"key \\ud800 exposed"}', character: 'U+D800' },
    { name: 'U+202E', json: '{"reason":"key exposed \\u202e"}', character: 'U+202E' },
    { name: 'U+0085 (C1)', json: '{"reason":"key\\u0085exposed"}', character: 'U+0085' },
    { name: 'a line feed inside it', json: '{"reason":"key exposed\\nsee ticket 4711"}', character: 'U+000A' },
  ];

  it.each(reasons)('a revocation reason with $name -> 400 invalid-request at /reason, nothing audited or revoked', async ({ json, character }) => {
    const audited = auditCount();
    const response = await send('post', `/administrations/EU/keys/${spare.kid}/revoke`, json);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:invalid-request' });
    expect((response.body as { errors: unknown[] }).errors).toEqual([{ pointer: '/reason', detail: expect.stringContaining(character) as unknown }]);
    expect(auditCount()).toBe(audited);
    const keys = (await adminCall(test.http, admin, 'get', '/administrations/EU/keys')).body as { keys: { kid: string; state: string }[] };
    expect(keys.keys.find((k) => k.kid === spare.kid)?.state).toBe('active');
  });

  it.each(reasons)('a suspension reason with $name -> 400 invalid-request at /reason, nothing audited or suspended', async ({ json, character }) => {
    const audited = auditCount();
    const body = json.replace('{', '{"status":"suspended",');
    const response = await send('patch', '/administrations/JP', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:invalid-request' });
    expect((response.body as { errors: unknown[] }).errors).toEqual([{ pointer: '/reason', detail: expect.stringContaining(character) as unknown }]);
    expect(auditCount()).toBe(audited);
    expect(((await adminCall(test.http, admin, 'get', '/administrations/JP')).body as { status: string }).status).toBe('active');
  });

  it('a token whose sub carries U+202E or a lone surrogate -> 401, nothing audited', async () => {
    const audited = auditCount();
    for (const sub of ['alice\u202e', 'alice\ud800']) {
      const response = await adminCall(test.http, admin, 'patch', '/administrations/JP', { status: 'suspended', reason: 'review' }, { claims: { sub } });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:unauthorized' });
    }
    expect(auditCount()).toBe(audited);
  });

  it('a reason in another script, with an emoji and white space around it, is stored trimmed and as sent', async () => {
    const response = await adminCall(test.http, admin, 'patch', '/administrations/JP', { status: 'suspended', reason: '  審査中 — revue conjointe 🔍 \n' }, { claims: { sub: 'José Ñúñez' } });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const entries = ((await adminCall(test.http, admin, 'get', '/audit')).body as { entries: { reason: string | null; actor: { sub: string } }[] }).entries;
    expect(entries.at(-1)).toMatchObject({ reason: '審査中 — revue conjointe 🔍', actor: { sub: 'José Ñúñez' } });
  });
});
