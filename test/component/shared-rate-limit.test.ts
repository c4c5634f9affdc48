/**
 * The per-administration rate limit on a shared PostgreSQL store holds across instances: two
 * in-process gateways on one database (same CONFIG_DIR, same topology) share one allowance per
 * administration, so spreading submissions over the instances does not multiply it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTopology } from '../support/broker.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { submitSignedList } from '../support/submissions.js';
import { removeTestFiles, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const RATE_LIMITED = 'urn:mra-gateway:problem:rate-limited';
const PER_MINUTE = 3;

const lines = (test: TestGateway) => test.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('rate limit per administration across instances on one store', () => {
  let database: TestDatabase;
  let first: TestGateway | undefined;
  let second: TestGateway | undefined;
  let eu: PartnerSigningKey;
  let jp: PartnerSigningKey;

  beforeAll(async () => {
    [eu, jp] = await Promise.all([createPartnerKey('EU'), createPartnerKey('JP')]);
    database = await createTestDatabase('mra_shared_limit');
    const env = { RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE: String(PER_MINUTE) };
    first = await startTestGateway({ keys: [eu, jp], databaseUrl: database.url, env });
    // The same CONFIG_DIR (keys, registry) and the same topology: a second instance of one deployment.
    second = await startTestGateway({ reuse: first, databaseUrl: database.url, env });
  });

  afterAll(async () => {
    await second?.stop();
    await first?.stop();
    if (first) {
      await deleteTopology(first.topology);
      removeTestFiles(first);
    }
    await database?.drop();
  });

  it('refuses the administration with 429 once the allowance is spent, whichever instance it reached', async () => {
    const gateways = [first!, second!];
    // Alternating: each instance alone has seen fewer than the allowance, together they have seen it all.
    for (let i = 0; i < PER_MINUTE; i++) expect((await submitSignedList(gateways[i % 2]!.http, eu)).status).toBe(202);
    for (let i = PER_MINUTE; i < PER_MINUTE + 2; i++) {
      const response = await submitSignedList(gateways[i % 2]!.http, eu);
      expect(response.status).toBe(429);
      expect(response.body).toMatchObject({ type: RATE_LIMITED, status: 429 });
      const retryAfter = Number(response.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((response.body as { retryAfter?: unknown }).retryAfter).toBe(retryAfter);
      // The sender is authenticated: the refusal comes with a signed receipt.
      expect(typeof (response.body as { receipt?: unknown }).receipt).toBe('string');
    }
    for (const gateway of gateways) {
      expect(lines(gateway).some((l) => l.message === 'request' && l.status === 429 && l.problem === 'rate-limited')).toBe(true);
    }
  });

  it('another administration keeps its own allowance, on either instance', async () => {
    const jpList = () => memberList([euMember({ memberId: 'JP-1', idScheme: 'OTHER', certificateType: 'AEO', address: { lines: ['1-1 Chiyoda'], city: 'Tokyo', country: 'JP' } })], { administration: 'JP' });
    for (const gateway of [second!, first!]) {
      const response = await gateway.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(jpList(), jp));
      expect(response.status).toBe(202);
    }
    // EU is still refused meanwhile.
    expect((await submitSignedList(second!.http, eu)).status).toBe(429);
  });

  it('the two instances run with the same configuration: no digest warning, the same digest', async () => {
    const [a, b] = await Promise.all([first!.http.get('/readyz'), second!.http.get('/readyz')]);
    const digestOf = (body: unknown) => (body as { checks: { config: { digest: string } } }).checks.config.digest;
    expect(digestOf(a.body)).toMatch(/^[0-9a-f]{64}$/);
    expect(digestOf(b.body)).toBe(digestOf(a.body));
    for (const gateway of [first!, second!]) expect(lines(gateway).filter((l) => String(l.message).includes('different configuration'))).toEqual([]);
  });

  it('a limiter whose table fails lets submissions through (never a 500), and says so at warn', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('DROP TABLE mra_rate_limits');
    } finally {
      await client.end();
    }
    // EU's allowance was spent; with the limiter's storage gone it is let through rather than failed.
    for (const gateway of [first!, second!]) expect((await submitSignedList(gateway.http, eu)).status).toBe(202);
    for (const gateway of [first!, second!]) {
      const warnings = lines(gateway).filter((l) => l.level === 'warn' && l.message === 'administration rate limit store unavailable');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ reason: 'query-failed' });
      expect(JSON.stringify(warnings[0])).not.toContain(database.url);
    }
  });
});
