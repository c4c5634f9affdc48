/**
 * Limits (issue 6): rate limits per client address and per authenticated administration (429 with
 * Retry-After), slow clients (headers, a stalled body, a trickled body) cut off while a slow but steady
 * upload passes, and the security headers on every kind of response.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { deleteTopology } from '../support/broker.js';
import { rawExchange } from '../support/raw-http.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { submitSignedList } from '../support/submissions.js';
import { TestClock } from '../support/test-clock.js';
import { removeTestFiles, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const RATE_LIMITED = 'urn:mra-gateway:problem:rate-limited';

const started: TestGateway[] = [];
async function gateway(setup: Parameters<typeof startTestGateway>[0]): Promise<TestGateway> {
  const test = await startTestGateway(setup);
  started.push(test);
  return test;
}

afterAll(async () => {
  for (const test of started) {
    await test.stop();
    await deleteTopology(test.topology);
    removeTestFiles(test);
  }
});

/** The headers of request-context.ts; `cache` differs only for the public documents meant to be cached. */
function expectSecurityHeaders(headers: Record<string, string>, what: string, cache = 'no-store'): void {
  expect(
    {
      what,
      nosniff: headers['x-content-type-options'],
      frame: headers['x-frame-options'],
      csp: headers['content-security-policy'],
      referrer: headers['referrer-policy'],
      cache: headers['cache-control'],
      hsts: headers['strict-transport-security'],
      requestId: typeof headers['x-request-id'],
    },
  ).toEqual({
    what,
    nosniff: 'nosniff',
    frame: 'DENY',
    csp: "default-src 'none'; frame-ancestors 'none'",
    referrer: 'no-referrer',
    cache,
    hsts: 'max-age=31536000',
    requestId: 'string',
  });
}

describe('rate limit per client address', () => {
  const clock = new TestClock();
  let test: TestGateway;
  let eu: PartnerSigningKey;

  beforeAll(async () => {
    eu = await createPartnerKey('EU');
    test = await gateway({ keys: [eu], env: { RATE_LIMIT_PER_CLIENT_PER_MINUTE: '5' }, options: { clock } });
  });

  it('allows a burst, then answers 429 with Retry-After, until the bucket refills', async () => {
    for (let i = 0; i < 5; i++) expect((await test.http.get('/.well-known/jwks.json')).status).toBe(200);

    const limited = await test.http.get('/no-such-page');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ type: RATE_LIMITED, status: 429, retryAfter: 12 });
    expect(limited.headers['retry-after']).toBe('12');
    expectSecurityHeaders(limited.headers, '429');

    // A limited client's submission is refused before its body is read: nothing is stored.
    const before = test.counts();
    const submission = await submitSignedList(test.http, eu);
    expect(submission.status).toBe(429);
    expect(submission.body).toMatchObject({ type: RATE_LIMITED });
    expect(test.counts()).toEqual(before);

    clock.advance(12_000);
    expect((await submitSignedList(test.http, eu)).status).toBe(202);
    expect((await submitSignedList(test.http, eu)).status).toBe(429);
  });

  it('never limits the probes and the metrics scrape', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await test.http.get('/healthz')).status).toBe(200);
      expect((await test.http.get('/metrics')).status).toBe(200);
      expect([200, 503]).toContain((await test.http.get('/readyz')).status);
    }
  });

  it('logs the refusal with its problem code', () => {
    const lines = test.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((l) => l.message === 'request' && l.status === 429 && l.problem === 'rate-limited')).toBe(true);
  });
});

describe('rate limit per administration, counted once the signature verifies', () => {
  const clock = new TestClock();
  let test: TestGateway;
  let eu: PartnerSigningKey;
  let jp: PartnerSigningKey;

  beforeAll(async () => {
    [eu, jp] = await Promise.all([createPartnerKey('EU'), createPartnerKey('JP')]);
    test = await gateway({ keys: [eu, jp], env: { RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE: '2' }, options: { clock } });
  });

  it("a stranger using the partner's kid does not use up the partner's allowance", async () => {
    const stranger = await createPartnerKey('EU', { kid: eu.kid });
    for (let i = 0; i < 5; i++) expect((await submitSignedList(test.http, stranger)).status).toBe(401);
    expect((await submitSignedList(test.http, eu)).status).toBe(202);
    expect((await submitSignedList(test.http, eu)).status).toBe(202);
  });

  it('refuses the administration over its allowance with 429 and Retry-After, storing nothing', async () => {
    const before = test.counts();
    const response = await submitSignedList(test.http, eu);
    expect(response.status).toBe(429);
    expect(response.body).toMatchObject({ type: RATE_LIMITED, retryAfter: 30 });
    expect(response.headers['retry-after']).toBe('30');
    // The sender is authenticated, so the refusal comes with a signed receipt (ICD 1).
    expect(typeof (response.body as { receipt?: unknown }).receipt).toBe('string');
    expect(test.counts()).toEqual(before);
    const line = test.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'request' && l.status === 429);
    expect(line).toMatchObject({ problem: 'rate-limited' });
  });

  it('other administrations are not affected, and the allowance comes back with time', async () => {
    const jpList = memberList([euMember({ memberId: 'JP-1', idScheme: 'OTHER', certificateType: 'AEO', address: { lines: ['1-1 Chiyoda'], city: 'Tokyo', country: 'JP' } })], { administration: 'JP' });
    expect((await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(jpList, jp))).status).toBe(202);
    clock.advance(30_000);
    expect((await submitSignedList(test.http, eu)).status).toBe(202);
    expect((await submitSignedList(test.http, eu)).status).toBe(429);
  });
});

describe('slow clients', () => {
  let test: TestGateway;
  let eu: PartnerSigningKey;
  let port: number;

  beforeAll(async () => {
    eu = await createPartnerKey('EU');
    test = await gateway({ keys: [eu], env: { HEADERS_TIMEOUT_SECONDS: '1', REQUEST_TIMEOUT_SECONDS: '5', BODY_IDLE_TIMEOUT_SECONDS: '1' } });
    port = Number(new URL(test.gateway.url).port);
  });

  // Connection: close, so that the gateway hangs up once it has answered.
  const head = (length: number) => `POST /v1/member-lists HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\nContent-Type: application/jose\r\nContent-Length: ${length}\r\n\r\n`;

  it('headers that never end: 408 and closed within about the headers timeout', async () => {
    const { response, closedAfterMs } = await rawExchange(port, [{ write: 'POST /v1/member-lists HTTP/1.1\r\nHost: gateway\r\n' }]);
    expect(response).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeLessThan(3_000);
  });

  it('a body that stalls: 408 request-timeout problem and closed, nothing stored', async () => {
    const before = test.counts();
    const body = await signCompact(memberList([euMember()]), eu);
    const { response, closedAfterMs } = await rawExchange(port, [{ write: head(body.length) + body.slice(0, 100) }]);
    expect(response).toMatch(/^HTTP\/1\.1 408/);
    expect(response).toMatch(/content-type: application\/problem\+json/i);
    expect(response).toMatch(/connection: close/i);
    expect(response).toMatch(/x-content-type-options: nosniff/i);
    expect(response).toContain('"type":"urn:mra-gateway:problem:request-timeout"');
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs).toBeLessThan(3_000);
    expect(test.counts()).toEqual(before);
    const line = test.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'request' && l.status === 408);
    expect(line).toMatchObject({ problem: 'request-timeout' });
  });

  it('a body trickled a byte at a time: cut off at the request timeout', async () => {
    const steps = [{ write: head(1000) }, ...Array.from({ length: 20 }, () => ({ write: 'a', afterMs: 400 }))];
    const { response, closedAfterMs } = await rawExchange(port, steps);
    expect(response).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeGreaterThanOrEqual(4_900);
    expect(closedAfterMs).toBeLessThan(7_000);
  });

  it('a slow but steady upload of a large list passes', async () => {
    const members = Array.from({ length: 2_500 }, (_, i) => euMember({ memberId: `DE${1_000_000 + i}` }));
    const body = await signCompact(memberList(members), eu);
    const chunks = 8;
    const size = Math.ceil(body.length / chunks);
    const steps = [{ write: head(body.length) }, ...Array.from({ length: chunks }, (_, i) => ({ write: body.slice(i * size, (i + 1) * size), afterMs: 250 }))];
    const { response, closedAfterMs } = await rawExchange(port, steps);
    expect(body.length).toBeGreaterThan(1_000_000);
    expect(closedAfterMs).toBeGreaterThan(1_900); // well past the body idle timeout
    expect(response).toMatch(/^HTTP\/1\.1 202/);
  });
});

describe('security headers on every kind of response', () => {
  let test: TestGateway;
  let eu: PartnerSigningKey;
  let admin: AdminSigningKey;

  beforeAll(async () => {
    [eu, admin] = await Promise.all([createPartnerKey('EU'), createAdminKey()]);
    test = await gateway({ keys: [eu], adminKeys: [admin.publicJwk] });
  });

  it('success, problem, 404, 405, admin and operations responses', async () => {
    const cases: [string, () => Promise<{ status: number; headers: Record<string, string> }>, number, string?][] = [
      ['202 accepted submission', () => submitSignedList(test.http, eu), 202],
      ['415 problem', () => test.http.post('/v1/member-lists').set('Content-Type', 'text/plain').send('x'), 415],
      ['400 problem', () => test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send('a.b.c'), 400],
      ['404', () => test.http.get('/nothing/here'), 404],
      ['405', () => test.http.get('/v1/member-lists'), 405],
      ['admin 200', () => adminCall(test.http, admin, 'get', '/administrations'), 200],
      ['admin 401', () => test.http.get('/admin/v1/administrations'), 401],
      ['admin 404', () => adminCall(test.http, admin, 'get', '/administrations/XX'), 404],
      ['jwks', () => test.http.get('/.well-known/jwks.json'), 200, 'public, max-age=300'],
      ['openapi', () => test.http.get('/openapi.json'), 200, 'public, max-age=300'],
      ['healthz', () => test.http.get('/healthz'), 200],
      ['metrics', () => test.http.get('/metrics'), 200],
    ];
    for (const [what, call, status, cache] of cases) {
      const response = await call();
      expect(response.status, what).toBe(status);
      expectSecurityHeaders(response.headers, what, cache);
    }
  });
});
