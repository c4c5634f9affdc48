/**
 * Denial of service before authentication (issue 11), through the real gateway with its default body
 * limits (200 MiB): the review's bodies (441 bytes of br and 189 KiB of gzip inflating to 190 MiB of a
 * JWS with millions of empty objects, and the same junk uncompressed in 30 MiB) are each refused with a
 * problem document, nothing is stored, /healthz answers while they are handled, and the gateway goes on
 * accepting lists afterwards. How much work each refusal costs is counted in the unit tests
 * (jws-envelope, request-body); `npm run reliability` reports how long each took.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { brotliBomb, deflateBomb, gzipBomb, jwsWithJunk, MiB } from '../support/hostile-bodies.js';
import { signCompact, signFlattened } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { postBytes, rawExchange } from '../support/raw-http.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const problem = (code: string) => `urn:mra-gateway:problem:${code}`;

let eu: PartnerSigningKey;
let admin: AdminSigningKey;
let test: TestGateway;
let bomb190: Buffer;

beforeAll(async () => {
  [eu, admin] = await Promise.all([createPartnerKey('EU'), createAdminKey()]);
  test = await startTestGateway({ keys: [eu], adminKeys: [admin.publicJwk] });
  bomb190 = jwsWithJunk(await signFlattened(memberList([euMember()]), eu), 190 * MiB);
});

afterAll(async () => {
  await disposeTestGateway(test);
});

const jose = (body: Buffer, encoding?: string) =>
  postBytes(`${test.gateway.url}/v1/member-lists`, { 'Content-Type': 'application/jose+json', ...(encoding ? { 'Content-Encoding': encoding } : {}) }, body);

/** Sends a body and, while the gateway handles it, asks /healthz: both must answer. */
async function refusedWhileAlive(body: Buffer, encoding?: string) {
  const before = test.counts();
  const submission = jose(body, encoding).then((r) => r);
  const health = await test.http.get('/healthz');
  const response = await submission;
  expect(health.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(test.counts()).toEqual(before);
  return response;
}

describe('the bodies of the security review', () => {
  it('a br body of about a kilobyte that inflates to 190 MiB: 413 expansion-ratio', async () => {
    const body = brotliBomb(bomb190);
    expect(body.length).toBeLessThan(4096);
    const response = await refusedWhileAlive(body, 'br');
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ type: problem('payload-too-large'), limit: 'expansion-ratio' });
  });

  it('a 189 KiB gzip body that inflates to 190 MiB: 413 expansion-ratio', async () => {
    const body = gzipBomb(bomb190);
    expect(body.length).toBeLessThan(200 * 1024);
    const response = await refusedWhileAlive(body, 'gzip');
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ type: problem('payload-too-large'), limit: 'expansion-ratio' });
  });

  it('the same as deflate: 413 expansion-ratio', async () => {
    const response = await refusedWhileAlive(deflateBomb(bomb190), 'deflate');
    expect(response.body).toMatchObject({ type: problem('payload-too-large'), limit: 'expansion-ratio' });
  });

  it('30 MiB of empty objects beside a validly signed payload, uncompressed: 400 malformed-jws', async () => {
    const body = jwsWithJunk(await signFlattened(memberList([euMember()]), eu), 30 * MiB);
    const response = await refusedWhileAlive(body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: problem('malformed-jws') });
  });

  it('30 MiB of empty objects before the payload: 400 malformed-jws', async () => {
    const body = jwsWithJunk(await signFlattened(memberList([euMember()]), eu), 30 * MiB, 'before');
    const response = await refusedWhileAlive(body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: problem('malformed-jws') });
  });

  it('two bombs at once and a probe: all answered, and the next list is accepted', async () => {
    const [first, second, health] = await Promise.all([jose(brotliBomb(bomb190), 'br'), jose(gzipBomb(bomb190), 'gzip'), test.http.get('/healthz')]);
    expect([first.status, second.status, health.status]).toEqual([413, 413, 200]);
    const accepted = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList([euMember()]), eu));
    expect(accepted.status).toBe(202);
  });
});

describe('content codings', () => {
  it('a list sent with gzip, br or deflate is accepted as sent without', async () => {
    for (const [encoding, encode] of [['gzip', gzipSync], ['br', brotliBomb], ['deflate', deflateBomb]] as const) {
      const jws = Buffer.from(await signCompact(memberList([euMember()]), eu));
      const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').set('Content-Encoding', encoding).send(encode(jws));
      expect(response.status, encoding).toBe(202);
    }
  });

  it.each([
    ['gzip', Buffer.from('this is not gzip')],
    ['deflate', Buffer.from('nor is this deflate')],
    ['br', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00])],
  ])('a corrupt %s body is 400 bad-content-encoding, on the partner API and the admin API', async (encoding, body) => {
    const partner = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').set('Content-Encoding', encoding).send(body);
    expect(partner.status).toBe(400);
    expect(partner.body).toMatchObject({ type: problem('bad-content-encoding') });
    const adminResponse = await test.http
      .post('/admin/v1/administrations/EU/keys/k1/revoke')
      .set('Authorization', `Bearer ${await adminToken(admin)}`)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', encoding)
      .send(body);
    expect(adminResponse.status).toBe(400);
    expect(adminResponse.body).toMatchObject({ type: problem('bad-content-encoding') });
    expect(test.logs.some((line) => line.includes('"level":"error"'))).toBe(false);
  });

  it.each(['compress', 'gzip, br', 'zstd'])('Content-Encoding %s is 415 unsupported-media-type', async (encoding) => {
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').set('Content-Encoding', encoding).send('a.b.c');
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({ type: problem('unsupported-media-type') });
  });

  it('an encoded body declared larger than MAX_ENCODED_BODY_BYTES is refused before it is read: 413 encoded-body-size', async () => {
    const port = Number(new URL(test.gateway.url).port);
    const head = `POST /v1/member-lists HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/jose\r\nContent-Encoding: gzip\r\nContent-Length: ${65 * MiB}\r\n\r\n`;
    const { response } = await rawExchange(port, [{ write: head }]);
    expect(response).toMatch(/^HTTP\/1\.1 413/);
    expect(response).toContain('"limit":"encoded-body-size"');
  });
});
