import type supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArrangementOverview, Overview } from '../../src/admin/admin-overview.js';
import type { DailySubmissions, SubmissionPage } from '../../src/admin/submission-log.js';
import { adminCall, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { TestClock } from '../support/test-clock.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const problem = (code: string) => `urn:mra-gateway:problem:${code}`;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The gateway on each store: the embedded one, and PostgreSQL in a database of the test's own. */
const STORES = [
  { name: 'sqlite', database: async (): Promise<TestDatabase | undefined> => undefined },
  { name: 'postgres', database: (): Promise<TestDatabase | undefined> => createTestDatabase('mra_overview') },
];

describe.each(STORES)('the overview and the daily counts on $name', (store) => {
  const clock = new TestClock();
  let admin: AdminSigningKey;
  let auditor: AdminSigningKey;
  let reader: AdminSigningKey;
  let euKey: PartnerSigningKey;
  let euNext: PartnerSigningKey;
  let jpKey: PartnerSigningKey;
  let database: TestDatabase | undefined;
  let test: TestGateway;
  const started = Date.now();
  const euEnds = new Date(started + 30 * DAY);
  const euNextStarts = new Date(started + 20 * DAY);
  const euNextEnds = new Date(started + 60 * DAY);

  const call = (path: string, key = admin) => adminCall(test.http, key, 'get', path, undefined, { now: clock.now() });
  const overview = async (): Promise<Overview> => {
    const response = await call('/overview');
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as Overview;
  };
  const row = (view: Overview, code: string): ArrangementOverview => view.arrangements.find((a) => a.code === code)!;
  const submit = (body: string) => test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(body);

  beforeAll(async () => {
    [admin, auditor, reader] = await Promise.all([createAdminKey(), createAdminKey({ roles: ['audit'] }), createAdminKey({ roles: ['members:read'] })]);
    [euKey, euNext, jpKey] = await Promise.all([createPartnerKey('EU'), createPartnerKey('EU'), createPartnerKey('JP')]);
    database = await store.database();
    test = await startTestGateway({
      keys: [euKey, euNext, jpKey],
      // EU rolls over: the next key starts 10 days before the current one ends.
      keyWindows: { [euKey.kid]: { notAfter: euEnds.toISOString() }, [euNext.kid]: { notBefore: euNextStarts.toISOString(), notAfter: euNextEnds.toISOString() } },
      adminKeys: [admin.publicJwk, auditor.publicJwk, reader.publicJwk],
      options: { clock },
      ...(database ? { databaseUrl: database.url } : {}),
    });
    // The gateway connects to the broker in the background: the overview is checked once it has.
    const deadline = Date.now() + 20_000;
    while (!test.gateway.publisher.connected) {
      if (Date.now() > deadline) throw new Error('the test gateway did not connect to the broker');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // EU delivers (and sends the same list again, and one the schema refuses); JP and KR send nothing.
    const accepted = await signCompact(memberList([euMember()]), euKey);
    expect((await submit(accepted)).status).toBe(202);
    expect((await submit(accepted)).status).toBe(200);
    expect((await submit(await signCompact({ ...memberList([euMember()]), kind: 'everything' }, euKey))).status).toBe(422);
    expect((await adminCall(test.http, admin, 'patch', '/administrations/KR', { status: 'suspended', reason: 'overview test' }, { now: clock.now() })).status).toBe(200);
  });

  afterAll(async () => {
    await disposeTestGateway(test);
    await database?.drop();
  });

  it('shows a partner that delivered, one that did not (stale), the last rejection and each key horizon', async () => {
    const logged = ((await call('/submissions?limit=10')).body as SubmissionPage).submissions;
    const accepted = logged.find((e) => e.outcome === 'accepted')!;
    const rejected = logged.find((e) => e.outcome === 'rejected')!;
    const view = await overview();
    const now = Date.parse(view.now);
    expect(Math.abs(now - Date.now())).toBeLessThan(5_000);
    expect(view.staleAfterSeconds).toBe(26 * 3600);
    // Every arrangement of the registry, in its order.
    const registry = ((await call('/administrations')).body as { administrations: { code: string; status: string }[] }).administrations;
    expect(view.arrangements.map((a) => [a.code, a.status])).toEqual(registry.map((a) => [a.code, a.status]));

    const eu = row(view, 'EU');
    expect(eu).toMatchObject({
      status: 'active',
      stale: false,
      lastAccepted: { id: accepted.id, messageId: accepted.messageId, kind: 'snapshot', receivedAt: accepted.receivedAt },
      lastRejection: { id: rejected.id, messageId: null, receivedAt: rejected.receivedAt, type: problem('schema-violation'), status: 422 },
    });
    expect(eu.lastAccepted!.ageSeconds).toBeLessThan(60);
    // One key verifies now; with the next one overlapping it, EU can send until the next one ends.
    expect(eu.keys).toEqual({ active: 1, earliestNotAfter: euEnds.toISOString(), horizonSeconds: Math.round((euNextEnds.getTime() - now) / 1000), usableUntil: euNextEnds.toISOString() });

    expect(row(view, 'JP')).toEqual({ code: 'JP', status: 'active', lastAccepted: null, stale: true, lastRejection: null, keys: { active: 1, earliestNotAfter: null, horizonSeconds: null, usableUntil: null } });
    expect(row(view, 'KR')).toEqual({ code: 'KR', status: 'suspended', lastAccepted: null, stale: true, lastRejection: null, keys: { active: 0, earliestNotAfter: null, horizonSeconds: 0, usableUntil: view.now } });

    expect(view.broker).toEqual({ connected: true });
    expect(view.outbox.maxAgeSeconds).toBe(((await test.http.get('/readyz')).body as { checks: { outbox: { maxAgeSeconds: number } } }).checks.outbox.maxAgeSeconds);
    expect(Number.isInteger(view.outbox.backlog)).toBe(true);
  });

  it('calls a partner stale once its last accepted list is older than 26 hours', async () => {
    clock.advance(27 * HOUR);
    const view = await overview();
    const eu = row(view, 'EU');
    expect(eu.stale).toBe(true);
    expect(eu.lastAccepted!.ageSeconds).toBeGreaterThanOrEqual(27 * 3600);
    expect(eu.lastAccepted!.ageSeconds).toBeLessThan(27 * 3600 + 60);
    expect(eu.keys.horizonSeconds).toBe(Math.round((euNextEnds.getTime() - Date.parse(view.now)) / 1000));
  });

  it('counts submissions per UTC day, administration and outcome', async () => {
    const logged = ((await call('/submissions?limit=10')).body as SubmissionPage).submissions;
    // The submissions' own days (a test run across midnight UTC splits them).
    const expected = new Map<string, { day: string; administration: string; accepted: number; replayed: number; rejected: number }>();
    for (const entry of logged) {
      const day = entry.receivedAt.slice(0, 10);
      const key = `${day} ${entry.administration}`;
      const counts = expected.get(key) ?? { day, administration: entry.administration, accepted: 0, replayed: 0, rejected: 0 };
      counts[entry.outcome]++;
      expected.set(key, counts);
    }
    const days = [...expected.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.administration < b.administration ? -1 : 1));
    expect(days.reduce((n, d) => n + d.accepted + d.replayed + d.rejected, 0)).toBe(3);

    const iso = (at: number) => new Date(at).toISOString().slice(0, 10);
    const today = iso(clock.now().getTime());
    const byDefault = (await call('/submissions/daily')).body as DailySubmissions;
    expect(byDefault).toEqual({ from: iso(clock.now().getTime() - 29 * DAY), to: today, days });
    const first = days[0]!.day;
    expect((await call(`/submissions/daily?from=${first}&to=${days.at(-1)!.day}`)).body).toEqual({ from: first, to: days.at(-1)!.day, days });
    // Days without submissions have no row; `to` alone ends 30 days.
    const before = iso(Date.parse(first) - DAY);
    expect((await call(`/submissions/daily?to=${before}`)).body).toEqual({ from: iso(Date.parse(before) - 29 * DAY), to: before, days: [] });
    expect((await call(`/submissions/daily?from=${first}`)).body).toEqual({ from: first, to: today, days });
    // 400 days is the most.
    expect((await call(`/submissions/daily?from=${iso(Date.parse(today) - 399 * DAY)}`)).status).toBe(200);
  });

  it('refuses bad parameters with 400 invalid-request, naming each one', async () => {
    const refused = async (path: string, pointers: string[]) => {
      const response = await call(path);
      expect(response.status, path).toBe(400);
      expect(response.body).toMatchObject({ type: problem('invalid-request') });
      expect((response.body as { errors: { pointer: string }[] }).errors.map((e) => e.pointer), path).toEqual(pointers);
    };
    await refused('/submissions/daily?from=2026-13-01', ['/from']);
    await refused('/submissions/daily?from=2026-02-30', ['/from']);
    await refused('/submissions/daily?to=yesterday', ['/to']);
    await refused('/submissions/daily?from=2026-12-01T00:00:00Z', ['/from']);
    await refused('/submissions/daily?from=2026-12-01&from=2026-12-02', ['/from']);
    await refused('/submissions/daily?from=2026-12-02&to=2026-12-01', ['/to']);
    // 2025-01-01 to 2026-02-04 is 400 days; one more is too many.
    expect((await call('/submissions/daily?from=2025-01-01&to=2026-02-04')).status).toBe(200);
    await refused('/submissions/daily?from=2025-01-01&to=2026-02-05', ['/from']);
    await refused('/submissions/daily?to=2026-12-01&administration=EU', ['/administration']);
    await refused('/overview?administration=EU', ['/administration']);
  });

  it('is read by every admin role, not by a key that only reads the member register, and not without a token', async () => {
    for (const path of ['/overview', '/submissions/daily']) {
      expect((await call(path, auditor)).status, path).toBe(200);
      const forbidden = await call(path, reader);
      expect(forbidden.status, path).toBe(403);
      expect(forbidden.body).toMatchObject({ type: problem('forbidden') });
      const anonymous: supertest.Response = await test.http.get(`/admin/v1${path}`);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="mra-gateway-admin"');
    }
  });
});
