/**
 * Hostile input (issue 6): what an attacker or a broken partner system might send, beyond the ICD 1
 * rejection paths of intake-rejections.test.ts (alg none, HMAC with the public key, ES512, embedded
 * keys, crit, b64, expired / revoked / pending keys, another administration's key, bad base64url,
 * non-UTF-8, wrong media types, a body over the limit) and the admin token table of
 * admin-authentication.test.ts (replayed, wrong audience, ...), which are not repeated here. Every row
 * asserts the status and problem type, and that nothing was stored, published or changed.
 */
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { gzipSync } from 'node:zlib';
import type supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { TestConsumer } from '../support/broker.js';
import { headerText, signRawCompact } from '../support/hostile-jws.js';
import { handmadeCompact, signCompact, signFlattened, signGeneral } from '../support/jws.js';
import { euMember, memberList, type MemberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { startTestGateway, type TestGateway, disposeTestGateway, embeddedDb } from '../support/test-gateway.js';

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_MEMBERS = 100;

let eu: PartnerSigningKey;
let jp: PartnerSigningKey;
let admin: AdminSigningKey;
let test: TestGateway;
let consumer: TestConsumer;

beforeAll(async () => {
  [eu, jp, admin] = await Promise.all([createPartnerKey('EU'), createPartnerKey('JP'), createAdminKey()]);
  test = await startTestGateway({ keys: [eu, jp], adminKeys: [admin.publicJwk], env: { MAX_BODY_BYTES: String(MAX_BODY_BYTES), MAX_MEMBERS: String(MAX_MEMBERS) } });
  consumer = await TestConsumer.bind(test.topology.exchange);
});

afterAll(async () => {
  await consumer?.close();
  await disposeTestGateway(test);
});

const list = (overrides: Partial<MemberList> = {}) => memberList([euMember()], overrides);
/** A valid one-member EU list as JSON text, with `edit` applied to the text. */
const listText = (edit: (text: string) => string = (t) => t) => edit(JSON.stringify(list()));
/** The text of a flattened JWS with `prefix` members spliced in before its own. */
const spliceFlattened = async (prefix: string) => `{${prefix},${(await signFlattened(list(), eu)).slice(1)}`;
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

interface Row {
  name: string;
  contentType?: string;
  headers?: Record<string, string>;
  body: () => Promise<string | Buffer>;
  status: number;
  type: string;
  /** Rejected after authentication: the problem carries a signed receipt. */
  signedReceipt?: boolean;
}

const submissions: Row[] = [
  // A JWS cut short or padded out
  { name: 'compact JWS cut off in the middle of the payload', body: async () => { const jws = await signCompact(list(), eu); return jws.slice(0, jws.indexOf('.') + 40); }, status: 400, type: 'malformed-jws' },
  { name: 'compact JWS with its signature truncated', body: async () => (await signCompact(list(), eu)).slice(0, -10), status: 401, type: 'bad-signature' },
  { name: 'compact JWS with bytes appended to the signature', body: async () => `${await signCompact(list(), eu)}AAAA`, status: 401, type: 'bad-signature' },
  { name: 'compact JWS with base64 "=" padding', body: async () => `${await signCompact(list(), eu)}==`, status: 400, type: 'malformed-jws' },
  { name: 'compact JWS with a fourth segment', body: async () => `${await signCompact(list(), eu)}.AAAA`, status: 400, type: 'malformed-jws' },
  { name: 'compact JWS whose signature has an impossible base64url length', body: async () => `${await signCompact(list(), eu)}AAA`, status: 400, type: 'malformed-jws' },
  {
    // Decoders ignore the unused low bits of the last character: the same signature, spelled differently.
    name: 'compact JWS whose signature is non-canonical base64url (a second spelling that would verify)',
    body: async () => {
      const jws = await signCompact(list(), eu);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      return `${jws.slice(0, -1)}${alphabet[alphabet.indexOf(jws.at(-1)!) ^ 1]}`;
    },
    status: 400,
    type: 'malformed-jws',
  },
  { name: 'flattened JWS followed by garbage', contentType: 'application/jose+json', body: async () => `${await signFlattened(list(), eu)} trailing`, status: 400, type: 'malformed-jws' },
  {
    name: 'flattened JWS whose signature is base64, not base64url',
    contentType: 'application/jose+json',
    body: async () => JSON.stringify({ ...(JSON.parse(await signFlattened(list(), eu)) as object), signature: 'ab+/cd==' }),
    status: 400,
    type: 'malformed-jws',
  },
  { name: 'a protected header that is not UTF-8', body: async () => `${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.e30.AAAA`, status: 400, type: 'malformed-jws' },

  // Duplicate keys, __proto__ and depth in the protected header (validly signed with the partner's key)
  { name: 'protected header with "alg" twice, none first (JSON.parse would keep ES256)', body: async () => signRawCompact(`{"alg":"none",${headerText(eu).slice(1)}`, listText(), eu), status: 400, type: 'malformed-jws' },
  { name: 'protected header with "kid" twice', body: async () => signRawCompact(headerText(eu, ',"kid":"someone-else"'), listText(), eu), status: 400, type: 'malformed-jws' },
  { name: 'protected header with "typ" twice, spelled with an escape', body: async () => signRawCompact(headerText(eu, ',"t\\u0079p":"JWT"'), listText(), eu), status: 400, type: 'malformed-jws' },
  { name: 'protected header with a __proto__ member', body: async () => signRawCompact(headerText(eu, ',"__proto__":{"b64":false}'), listText(), eu), status: 400, type: 'malformed-jws' },
  { name: 'protected header nested 40 deep', body: async () => signRawCompact(headerText(eu, `,"x":${nested(40)}`), listText(), eu), status: 400, type: 'malformed-jws' },

  // The JSON serialization
  { name: 'flattened JWS with "payload" twice (JSON.parse would keep the signed one)', contentType: 'application/jose+json', body: () => spliceFlattened(`"payload":"${Buffer.from(JSON.stringify(list({ administration: 'JP' }))).toString('base64url')}"`), status: 400, type: 'malformed-jws' },
  { name: 'flattened JWS with "signature" twice', contentType: 'application/jose+json', body: () => spliceFlattened('"signature":"AAAA"'), status: 400, type: 'malformed-jws' },
  { name: 'flattened JWS with "protected" twice', contentType: 'application/jose+json', body: () => spliceFlattened(`"protected":"${Buffer.from('{"alg":"none"}').toString('base64url')}"`), status: 400, type: 'malformed-jws' },
  {
    name: 'general JWS with "protected" twice inside a signature',
    contentType: 'application/jose+json',
    body: async () => {
      const general = JSON.parse(await signGeneral(list(), [eu])) as { payload: string; signatures: { protected: string; signature: string }[] };
      const [first] = general.signatures;
      return `{"payload":"${general.payload}","signatures":[{"protected":"e30","protected":"${first!.protected}","signature":"${first!.signature}"}]}`;
    },
    status: 400,
    type: 'malformed-jws',
  },
  { name: 'flattened JWS with a __proto__ member', contentType: 'application/jose+json', body: () => spliceFlattened('"__proto__":{"header":{"jwk":{}}}'), status: 400, type: 'malformed-jws' },
  { name: 'flattened JWS with an unprotected header nested 40 deep', contentType: 'application/jose+json', body: () => spliceFlattened(`"header":{"x":${nested(40)}}`), status: 400, type: 'malformed-jws' },
  { name: 'flattened JWS nested half a million deep', contentType: 'application/jose+json', body: async () => `{"header":${'{"x":'.repeat(500_000)}{}${'}'.repeat(500_000)}}`, status: 400, type: 'malformed-jws' },
  { name: 'general JWS with nine signatures', contentType: 'application/jose+json', body: () => signGeneral(list(), Array.from({ length: 9 }, () => eu)), status: 400, type: 'malformed-jws' },
  {
    name: 'flattened JWS with a jwk in the unprotected header',
    contentType: 'application/jose+json',
    body: async () => JSON.stringify({ ...(JSON.parse(await signFlattened(list(), eu)) as object), header: { jwk: eu.publicJwk } }),
    status: 401,
    type: 'invalid-jws-header',
  },
  {
    name: 'flattened JWS with a crit in the unprotected header',
    contentType: 'application/jose+json',
    body: async () => JSON.stringify({ ...(JSON.parse(await signFlattened(list(), eu)) as object), header: { crit: ['exp'] } }),
    status: 401,
    type: 'invalid-jws-header',
  },
  { name: 'general JWS signed by keys of two administrations (EU and JP)', contentType: 'application/jose+json', body: () => signGeneral(list(), [eu, jp]), status: 403, type: 'administration-mismatch' },

  // The payload, validly signed: refused after authentication, with a signed receipt
  { name: 'payload with "messageId" twice (JSON.parse would keep the second)', body: () => signCompact(listText((t) => t.replace(/^\{/, '{"messageId":"decoy",')), eu), status: 422, type: 'malformed-payload', signedReceipt: true },
  { name: 'payload with a member\'s "status" twice', body: () => signCompact(listText((t) => t.replace('"status":"certified"', '"status":"revoked","status":"certified"')), eu), status: 422, type: 'malformed-payload', signedReceipt: true },
  { name: 'payload with a duplicate spelled with an escape', body: () => signCompact(listText((t) => t.replace('"status":"certified"', '"status":"revoked","st\\u0061tus":"certified"')), eu), status: 422, type: 'malformed-payload', signedReceipt: true },
  { name: 'payload with __proto__ at the top', body: () => signCompact(listText((t) => t.replace(/^\{/, '{"__proto__":{"administration":"JP"},')), eu), status: 422, type: 'malformed-payload', signedReceipt: true },
  { name: 'payload with __proto__ in a member', body: () => signCompact(listText((t) => t.replace('"memberId":', '"__proto__":{"recognized":true},"memberId":')), eu), status: 422, type: 'malformed-payload', signedReceipt: true },
  { name: 'payload with a constructor member at the top', body: () => signCompact(listText((t) => t.replace(/^\{/, '{"constructor":{"prototype":{}},')), eu), status: 422, type: 'schema-violation', signedReceipt: true },
  { name: 'payload with a constructor member in a member', body: () => signCompact(listText((t) => t.replace('"memberId":', '"constructor":"Object","memberId":')), eu), status: 422, type: 'schema-violation', signedReceipt: true },
  { name: 'payload nested 40 deep', body: () => signCompact(listText((t) => t.replace('"members":[', `"members":[${nested(40)},`)), eu), status: 422, type: 'malformed-payload', signedReceipt: true },
  { name: 'payload that is a million nested arrays', body: () => signCompact(nested(1_000_000), eu), status: 422, type: 'malformed-payload', signedReceipt: true },
  { name: 'payload with a 2 MB legal name', body: () => signCompact(list({ members: [euMember({ legalName: 'A'.repeat(2_000_000) })] }), eu), status: 422, type: 'schema-violation', signedReceipt: true },
  { name: 'payload with a 1 MB property name', body: () => signCompact(listText((t) => t.replace(/^\{/, `{"${'k'.repeat(1_000_000)}":1,`)), eu), status: 422, type: 'schema-violation', signedReceipt: true },
  { name: 'payload with 200,000 trade names', body: () => signCompact(list({ members: [euMember({ tradeNames: Array.from({ length: 200_000 }, () => 'x') })] }), eu), status: 422, type: 'schema-violation', signedReceipt: true },
  { name: `payload with more members than MAX_MEMBERS (${MAX_MEMBERS})`, body: () => signCompact(list({ members: Array.from({ length: MAX_MEMBERS + 1 }, (_, i) => euMember({ memberId: `DE${100_000 + i}` })) }), eu), status: 422, type: 'schema-violation', signedReceipt: true },
  { name: 'payload in overlong UTF-8', body: () => signCompact(Buffer.concat([Buffer.from(listText().slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), eu), status: 422, type: 'malformed-payload', signedReceipt: true },
  { name: 'payload with an encoded lone surrogate', body: () => signCompact(Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), eu), status: 422, type: 'malformed-payload', signedReceipt: true },
  { name: 'payload in UTF-16', body: () => signCompact(Buffer.from(`\ufeff${listText()}`, 'utf16le'), eu), status: 422, type: 'malformed-payload', signedReceipt: true },

  // Transport
  { name: 'multipart/form-data', contentType: 'multipart/form-data; boundary=x', body: () => signCompact(list(), eu), status: 415, type: 'unsupported-media-type' },
  { name: 'a gzip bomb (5 KB that inflate past the body limit)', headers: { 'Content-Encoding': 'gzip' }, body: async () => gzipSync(Buffer.alloc(MAX_BODY_BYTES + 1024 * 1024, 'a')), status: 413, type: 'payload-too-large' },
  { name: 'an unsupported content encoding', headers: { 'Content-Encoding': 'compress' }, body: () => signCompact(list(), eu), status: 415, type: 'unsupported-media-type' },
];

describe('hostile submissions are refused with their problem type; nothing is stored or published', () => {
  it.each(submissions)('$name -> $status $type', async (row) => {
    const before = test.counts();
    let request = test.http.post('/v1/member-lists').set('Content-Type', row.contentType ?? 'application/jose');
    for (const [name, value] of Object.entries(row.headers ?? {})) request = request.set(name, value);
    const response = await request.send(await row.body());

    expect({ status: response.status, type: (response.body as { type?: string }).type }).toEqual({ status: row.status, type: `urn:mra-gateway:problem:${row.type}` });
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(test.counts()).toEqual(before);
    const receipt = (response.body as { receipt?: string }).receipt;
    if (row.signedReceipt) {
      const jwks = (await test.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
      const { payload } = await compactVerify(receipt!, createLocalJWKSet(jwks));
      expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toMatchObject({ outcome: 'rejected', problem: `urn:mra-gateway:problem:${row.type}` });
    } else {
      expect(receipt).toBeUndefined();
    }
  });

  it('says where a duplicate key is, with a JSON Pointer', async () => {
    const body = await signCompact(listText((t) => t.replace('"city":"Hamburg"', '"city":"Hamburg","city":"Bremen"')), eu);
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(body);
    expect(response.status).toBe(422);
    expect((response.body as { errors: unknown[] }).errors).toEqual([{ pointer: '/members/0/address/city', detail: 'duplicate key "city"' }]);
  });

  it('still accepts a well-formed list in every serialization', async () => {
    for (const [contentType, body] of [
      ['application/jose', await signCompact(list(), eu)],
      ['application/jose+json', await signFlattened(list(), eu)],
      ['application/jose', signRawCompact(headerText(eu), JSON.stringify(list(), null, 2), eu)],
    ] as const) {
      const response = await test.http.post('/v1/member-lists').set('Content-Type', contentType).send(body);
      expect(response.status, contentType).toBe(202);
    }
  });
});

describe('member ids that are names of Object.prototype members', () => {
  const PROTOTYPE_NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty'];
  const jpMember = (memberId: string) => euMember({ memberId, idScheme: 'OTHER', certificateType: 'AEO', address: { lines: ['1-1 Chiyoda'], city: 'Tokyo', country: 'JP' } });

  it('are members like any other: added, then removed by the next snapshot', async () => {
    const added = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList(PROTOTYPE_NAMES.map(jpMember), { administration: 'JP' }), jp));
    expect(added.status).toBe(202);
    expect(added.body).toMatchObject({ counts: { members: 4, added: 4 } });
    const removed = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList([jpMember('JP-1')], { administration: 'JP' }), jp));
    expect(removed.status).toBe(202);
    expect(removed.body).toMatchObject({ counts: { members: 1, added: 1, removed: 4 } });
  });
});

describe('hostile admin tokens are refused; nothing changes', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const addKey = (http: ReturnType<typeof supertest>, authorization: string) =>
    http.post('/admin/v1/administrations/EU/keys').set('Authorization', authorization).send({ jwk: { ...jp.publicJwk, kid: 'smuggled-in' } });

  const rows: { name: string; reason: string; authorization: () => Promise<string> }[] = [
    {
      name: "signed by a partner's key, with the partner's kid",
      reason: 'unknown-key',
      authorization: async () => `Bearer ${await adminToken({ ...admin, kid: eu.kid, alg: eu.alg, privateKey: eu.privateKey })}`,
    },
    {
      name: "signed by a partner's key, with the administrator's kid",
      reason: 'bad-signature',
      authorization: async () => `Bearer ${await adminToken({ ...admin, privateKey: eu.privateKey })}`,
    },
    {
      name: 'carrying its own key (jwk header) under the administrator\'s kid',
      reason: 'bad-signature',
      authorization: async () => {
        const attacker = await createAdminKey({ kid: admin.kid });
        return `Bearer ${await adminToken(attacker, { header: { jwk: attacker.publicJwk } })}`;
      },
    },
    {
      name: 'a signed member list presented as a token',
      reason: 'unknown-key',
      authorization: async () => `Bearer ${await signCompact({ sub: 'x', aud: 'mra-gateway-admin', iat: now(), exp: now() + 60, jti: 'j' }, eu)}`,
    },
  ];

  it.each(rows)('$name -> 401 unauthorized ($reason)', async (row) => {
    const requestId = `hostile-admin-${rows.indexOf(row)}`;
    const before = embeddedDb(test.gateway).prepare('SELECT (SELECT COUNT(*) FROM partner_keys) AS keys, (SELECT COUNT(*) FROM audit_log) AS audit').get();
    const response = await addKey(test.http, await row.authorization()).set('X-Request-Id', requestId);
    expect({ status: response.status, type: (response.body as { type?: string }).type }).toEqual({ status: 401, type: 'urn:mra-gateway:problem:unauthorized' });
    const line = test.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === requestId && l.message === 'admin authentication failed');
    expect(line).toMatchObject({ reason: row.reason });
    expect(embeddedDb(test.gateway).prepare('SELECT (SELECT COUNT(*) FROM partner_keys) AS keys, (SELECT COUNT(*) FROM audit_log) AS audit').get()).toEqual(before);
  });

  it('an admin token posted as a member list is refused by the header policy', async () => {
    const before = test.counts();
    const token = await adminToken(admin);
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(token);
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:invalid-jws-header' });
    expect(test.counts()).toEqual(before);
  });

  it('a handmade unsecured member list with the admin kid is refused', async () => {
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(handmadeCompact({ alg: 'none', kid: admin.kid, typ: 'mra-member-list+json' }, list(), 'AAAA'));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:disallowed-algorithm' });
  });
});

describe('after all of it', () => {
  it('stored and published only what the good lists carried', async () => {
    await consumer.waitForCount(10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(test.counts()).toMatchObject({ messages: 5, members: 2, outbox: 10 });
    const keys = consumer.records.map((r) => `${r.routingKey} ${r.body.member.key}`).sort();
    expect(keys).toEqual([
      'member.added.eu EU:DE1234567890123',
      'member.added.jp JP:JP-1',
      ...['constructor', 'hasOwnProperty', 'toString', 'valueOf'].flatMap((id) => [`member.added.jp JP:${id}`, `member.removed.jp JP:${id}`]),
    ].sort());
  });
});
