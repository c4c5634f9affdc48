import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestConsumer } from '../support/broker.js';
import { handmadeCompact, MEMBER_LIST_TYP, signCompact, signFlattened, signGeneral } from '../support/jws.js';
import { euMember, memberList, type MemberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { startTestGateway, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

const MAX_BODY_BYTES = 256 * 1024;
const HOUR = 3_600_000;

let eu: PartnerSigningKey;
let euSecond: PartnerSigningKey;
let jp: PartnerSigningKey;
let jo: PartnerSigningKey;
let expired: PartnerSigningKey;
let pending: PartnerSigningKey;
let revoked: PartnerSigningKey;
let es512: PartnerSigningKey;
let stranger: PartnerSigningKey;
let test: TestGateway;
let consumer: TestConsumer;

beforeAll(async () => {
  [eu, euSecond, jp, jo, expired, pending, revoked, es512, stranger] = await Promise.all([
    createPartnerKey('EU'),
    createPartnerKey('EU'),
    createPartnerKey('JP'),
    createPartnerKey('JO'),
    createPartnerKey('EU'),
    createPartnerKey('EU'),
    createPartnerKey('EU'),
    createPartnerKey('EU', { alg: 'ES512' }),
    createPartnerKey('EU'),
  ]);
  test = await startTestGateway({
    keys: [eu, euSecond, jp, jo, expired, pending],
    keyWindows: {
      [expired.kid]: { notAfter: new Date(Date.now() - HOUR).toISOString() },
      [pending.kid]: { notBefore: new Date(Date.now() + HOUR).toISOString() },
    },
    arrangements: { JO: { status: 'suspended' }, GT: { status: 'terminated' } },
    env: { MAX_BODY_BYTES: String(MAX_BODY_BYTES) },
  });
  await test.gateway.partnerKeys.add([
    { administration: 'EU', kid: revoked.kid, jwk: revoked.publicJwk, notBefore: null, notAfter: null, revokedAt: new Date(Date.now() - 1000), revocationReason: 'compromised', addedAt: new Date() },
    // As if registered before the allowlist was narrowed: the header check must still refuse ES512.
    { administration: 'EU', kid: es512.kid, jwk: es512.publicJwk, notBefore: null, notAfter: null, revokedAt: null, revocationReason: null, addedAt: new Date() },
  ]);
  consumer = await TestConsumer.bind(test.topology.exchange);
});

afterAll(async () => {
  await consumer?.close();
  await disposeTestGateway(test);
});

const list = (overrides: Partial<MemberList> = {}) => memberList([euMember()], overrides);

interface Attempt {
  name: string;
  contentType?: string;
  body: () => Promise<string | Buffer>;
  status: number;
  type: string;
  /** Rejections after the sender is authenticated carry a signed receipt. */
  signedReceipt?: boolean;
}

const attempts: Attempt[] = [
  // Rule 1: size and media type
  { name: 'a body over the limit', body: async () => 'a'.repeat(MAX_BODY_BYTES + 1), status: 413, type: 'payload-too-large' },
  { name: 'text/plain', contentType: 'text/plain', body: () => signCompact(list(), eu), status: 415, type: 'unsupported-media-type' },
  { name: 'application/json', contentType: 'application/json', body: () => signFlattened(list(), eu), status: 415, type: 'unsupported-media-type' },
  { name: 'no content type', contentType: '', body: () => signCompact(list(), eu), status: 415, type: 'unsupported-media-type' },
  // Structure
  { name: 'not a JWS', body: async () => 'hello world', status: 400, type: 'malformed-jws' },
  { name: 'two parts only', body: async () => (await signCompact(list(), eu)).split('.').slice(0, 2).join('.'), status: 400, type: 'malformed-jws' },
  { name: 'invalid base64url', body: async () => (await signCompact(list(), eu)).replace(/^./, '*'), status: 400, type: 'malformed-jws' },
  { name: 'a header that is not JSON', body: async () => `${Buffer.from('not json').toString('base64url')}.e30.c2ln`, status: 400, type: 'malformed-jws' },
  { name: 'JSON serialization without a signature', contentType: 'application/jose+json', body: async () => JSON.stringify({ payload: 'e30', protected: 'e30' }), status: 400, type: 'malformed-jws' },
  { name: 'JSON serialization that is not JSON', contentType: 'application/jose+json', body: async () => '{"payload":', status: 400, type: 'malformed-jws' },
  // Rule 2: algorithm, header, key, signature
  { name: 'alg none', body: async () => handmadeCompact({ alg: 'none', kid: eu.kid, typ: MEMBER_LIST_TYP }, list(), ''), status: 400, type: 'malformed-jws' },
  { name: 'alg none with a fake signature', body: async () => handmadeCompact({ alg: 'none', kid: eu.kid, typ: MEMBER_LIST_TYP }, list(), 'AAAA'), status: 401, type: 'disallowed-algorithm' },
  {
    name: 'HS256 with the partner public key as secret',
    body: async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'HS256', kid: eu.kid, typ: MEMBER_LIST_TYP })).toString('base64url');
      const payload = Buffer.from(JSON.stringify(list())).toString('base64url');
      const mac = createHmac('sha256', JSON.stringify(eu.publicJwk)).update(`${header}.${payload}`).digest('base64url');
      return `${header}.${payload}.${mac}`;
    },
    status: 401,
    type: 'disallowed-algorithm',
  },
  { name: 'an algorithm outside the allowlist (ES512)', body: () => signCompact(list(), es512), status: 401, type: 'disallowed-algorithm' },
  { name: 'no kid', body: () => signCompact(list(), eu, { kid: undefined }), status: 401, type: 'invalid-jws-header' },
  { name: 'wrong typ', body: () => signCompact(list(), eu, { typ: 'JWT' }), status: 401, type: 'invalid-jws-header' },
  { name: 'no typ', body: () => signCompact(list(), eu, { typ: undefined }), status: 401, type: 'invalid-jws-header' },
  { name: 'an embedded jwk', body: () => signCompact(list(), eu, { jwk: eu.publicJwk }), status: 401, type: 'invalid-jws-header' },
  { name: 'a jku', body: () => signCompact(list(), eu, { jku: 'https://attacker.example/jwks.json' }), status: 401, type: 'invalid-jws-header' },
  { name: 'an x5u', body: () => signCompact(list(), eu, { x5u: 'https://attacker.example/cert.pem' }), status: 401, type: 'invalid-jws-header' },
  { name: 'an x5c', body: () => signCompact(list(), eu, { x5c: ['MIIB'] }), status: 401, type: 'invalid-jws-header' },
  { name: 'an unknown crit', body: async () => handmadeCompact({ alg: 'ES256', kid: eu.kid, typ: MEMBER_LIST_TYP, crit: ['exp'], exp: 1 }, list(), 'AAAA'), status: 401, type: 'invalid-jws-header' },
  {
    name: 'b64 false',
    body: async () => handmadeCompact({ alg: 'ES256', kid: eu.kid, typ: MEMBER_LIST_TYP, b64: false, crit: ['b64'] }, list(), 'AAAA'),
    status: 401,
    type: 'invalid-jws-header',
  },
  { name: 'an unknown kid', body: () => signCompact(list(), stranger), status: 401, type: 'unknown-key' },
  { name: 'an expired key', body: () => signCompact(list(), expired), status: 401, type: 'inactive-key' },
  { name: 'a key not valid yet', body: () => signCompact(list(), pending), status: 401, type: 'inactive-key' },
  { name: 'a revoked key', body: () => signCompact(list(), revoked), status: 401, type: 'inactive-key' },
  {
    name: 'a tampered payload',
    body: async () => {
      const [header, , signature] = (await signCompact(list(), eu)).split('.');
      return `${header}.${Buffer.from(JSON.stringify(list())).toString('base64url')}.${signature}`;
    },
    status: 401,
    type: 'bad-signature',
  },
  { name: "another key under the partner's kid", body: () => signCompact(list(), { ...stranger, kid: eu.kid }), status: 401, type: 'bad-signature' },
  {
    name: 'a general JWS with one bad signature',
    contentType: 'application/jose+json',
    body: async () => {
      const general = JSON.parse(await signGeneral(list(), [eu, euSecond])) as { signatures: { signature: string }[] };
      general.signatures[1]!.signature = general.signatures[0]!.signature;
      return JSON.stringify(general);
    },
    status: 401,
    type: 'bad-signature',
  },
  // Rule 3: payload
  { name: 'a payload that is not UTF-8', body: () => signCompact(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), eu), status: 422, type: 'malformed-payload', signedReceipt: true },
  { name: 'a payload that is not JSON', body: () => signCompact('members: all of them', eu), status: 422, type: 'malformed-payload', signedReceipt: true },
  { name: 'a payload missing required fields', body: () => signCompact({ specVersion: '1.0' }, eu), status: 422, type: 'schema-violation', signedReceipt: true },
  { name: 'an unknown property', body: () => signCompact({ ...list(), extra: true }, eu), status: 422, type: 'schema-violation', signedReceipt: true },
  { name: 'a removal inside a snapshot', body: () => signCompact(memberList([{ memberId: 'DE1', removed: true }]), eu), status: 422, type: 'schema-violation', signedReceipt: true },
  { name: 'a Canadian address without province', body: () => signCompact(list({ members: [euMember({ address: { lines: ['1 Main St'], city: 'Ottawa', country: 'CA' } })] }), eu), status: 422, type: 'schema-violation', signedReceipt: true },
  // Rule 4 and 5
  { name: 'an EU key signing for JP', body: () => signCompact(list({ administration: 'JP' }), eu), status: 403, type: 'administration-mismatch', signedReceipt: true },
  { name: 'a valid signature by another administration (JP for EU)', body: () => signCompact(list(), jp), status: 403, type: 'administration-mismatch', signedReceipt: true },
  { name: 'a suspended MRA', body: () => signCompact(list({ administration: 'JO', members: [euMember({ memberId: 'JO12345', idScheme: 'OTHER', certificateType: 'GOLDEN-LIST', address: { lines: ['1 King St'], city: 'Amman', country: 'JO' } })] }), jo), status: 403, type: 'mra-not-active', signedReceipt: true },
  // Member rules
  { name: 'a duplicate memberId', body: () => signCompact(list({ members: [euMember(), euMember()] }), eu), status: 422, type: 'invalid-members', signedReceipt: true },
  { name: 'a certificate type the program does not issue', body: () => signCompact(list({ members: [euMember({ certificateType: 'PIP' })] }), eu), status: 422, type: 'invalid-members', signedReceipt: true },
  { name: 'an EORI with a non-EU prefix', body: () => signCompact(list({ members: [euMember({ memberId: 'US123456789' })] }), eu), status: 422, type: 'invalid-members', signedReceipt: true },
  // Rule 6
  { name: 'issuedAt ten minutes ahead', body: () => signCompact(list({ issuedAt: new Date(Date.now() + 10 * 60_000).toISOString() }), eu), status: 422, type: 'issued-at-out-of-range', signedReceipt: true },
  { name: 'issuedAt 73 hours old', body: () => signCompact(list({ issuedAt: new Date(Date.now() - 73 * HOUR).toISOString() }), eu), status: 422, type: 'issued-at-out-of-range', signedReceipt: true },
];

describe('every rejection path of ICD 1 answers with its problem type, and stores and publishes nothing', () => {
  it.each(attempts)('$name -> $status $type', async (attempt) => {
    const before = test.counts();
    const body = await attempt.body();
    const response = await test.http
      .post('/v1/member-lists')
      .set('Content-Type', attempt.contentType ?? 'application/jose')
      .send(body);

    expect(response.status).toBe(attempt.status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: `urn:mra-gateway:problem:${attempt.type}`, status: attempt.status });
    expect(test.counts()).toEqual(before);

    const receipt = (response.body as { receipt?: string }).receipt;
    if (attempt.signedReceipt) {
      const jwks = (await test.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
      const { payload } = await compactVerify(receipt!, createLocalJWKSet(jwks));
      expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toMatchObject({ outcome: 'rejected', status: attempt.status, problem: `urn:mra-gateway:problem:${attempt.type}` });
    } else {
      expect(receipt).toBeUndefined();
    }
  });

  it('lists every schema error with its JSON Pointer, at most 100', async () => {
    const members = Array.from({ length: 150 }, (_, i) => euMember({ memberId: `DE${1000 + i}`, status: 'dormant' as never }));
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(list({ members }), eu));
    expect(response.status).toBe(422);
    const errors = (response.body as { errors: { pointer: string }[] }).errors;
    expect(errors).toHaveLength(100);
    expect(errors[0]).toMatchObject({ pointer: '/members/0/status' });
  });

  it('refuses a chunked body that grows over the limit while streaming', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(`${test.gateway.url}/v1/member-lists`, { method: 'POST', headers: { 'Content-Type': 'application/jose', 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      request.on('error', reject);
      for (let i = 0; i < 8; i++) request.write('a'.repeat(64 * 1024));
      request.end();
    });
    expect(status).toBe(413);
  });

  it('refuses GET on the intake with 405', async () => {
    const response = await test.http.get('/v1/member-lists');
    expect(response.status).toBe(405);
    expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:method-not-allowed' });
  });

  it('published nothing for any of the rejected submissions', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(consumer.records).toEqual([]);
    expect(test.counts()).toMatchObject({ messages: 0, outbox: 0, members: 0 });
  });
});
