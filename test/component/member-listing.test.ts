import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemTypeUri } from '../../src/domain/problem-types.js';
import { memberOf, membersOf, nextSnapshot } from '../support/administration-members.js';
import { adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { signCompact } from '../support/jws.js';
import { memberList, type Member } from '../support/member-lists.js';
import { createPartnerKey, partnerReadToken, type PartnerSigningKey } from '../support/partner-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';

interface Item {
  key: string;
  version: number;
  change: string;
  member: { mids: { value: string; source: string }[]; status: string; recognized: boolean };
  arrangement: { code: string; status: string };
}
interface Page {
  members: Item[];
  next: string | null;
}

const invalidRequest = problemTypeUri('invalid-request');

/** GET /v1/members through HTTP on both stores (ICD 5): filters, lookups, pages, who may list. */
describe.each(['sqlite', 'postgres'] as const)('member listing: %s', (store) => {
  let test: TestGateway;
  let database: TestDatabase | undefined;
  let eu: PartnerSigningKey;
  let jp: PartnerSigningKey;
  let gb: PartnerSigningKey;
  let reader: AdminSigningKey;
  let auditor: AdminSigningKey;
  let token = '';
  let between = '';

  const societe = memberOf('EU', 1, 'L', {
    legalName: 'Société Générale S.A.',
    tradeNames: ['SG Paris'],
    mids: ['FRSOCGEN1PAR'],
    address: { lines: ['29 Boulevard Haussmann'], city: 'Paris', country: 'FR' },
  });
  const acme = memberOf('EU', 2, 'L', { legalName: 'Acme GmbH', roles: ['importer'], status: 'suspended', statusSince: '2026-11-01' });
  const gone = memberOf('EU', 3, 'L', { legalName: 'Acme Gone' });
  const japan = memberOf('JP', 1, 'L', { legalName: 'ACME Japan KK', roles: ['manufacturer'] });

  const post = async (key: PartnerSigningKey, administration: string, members: (Member | { memberId: string; removed: true })[], kind: 'snapshot' | 'delta') =>
    test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList(members, { kind, administration }), key));
  const get = (path: string, bearer: string | undefined = token) => {
    const request = test.http.get(path);
    return bearer === undefined ? request : request.set('Authorization', `Bearer ${bearer}`);
  };
  const keys = async (query: string, bearer?: string): Promise<string[]> => {
    const response = await get(`/v1/members?${query}`, bearer);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return (response.body as Page).members.map((m) => `${m.key}@${m.version}`);
  };

  beforeAll(async () => {
    [eu, jp, gb, reader, auditor] = await Promise.all([createPartnerKey('EU'), createPartnerKey('JP'), createPartnerKey('GB'), createAdminKey({ roles: ['members:read'] }), createAdminKey({ roles: ['audit'] })]);
    database = store === 'postgres' ? await createTestDatabase('mra_listing') : undefined;
    test = await startTestGateway({ keys: [eu, jp, gb], adminKeys: [reader.publicJwk, auditor.publicJwk], ...(database ? { databaseUrl: database.url } : {}) });
    expect((await post(eu, 'EU', [societe, acme, gone], 'snapshot')).status).toBe(202);
    expect((await post(eu, 'EU', [{ memberId: gone.memberId, removed: true }], 'delta')).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 5));
    between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await post(jp, 'JP', [japan], 'snapshot')).status).toBe(202);
    token = await adminToken(reader);
  });
  afterAll(async () => {
    await disposeTestGateway(test);
    await database?.drop();
  });

  const S = `EU:${societe.memberId}`;
  const A = `EU:${acme.memberId}`;
  const G = `EU:${gone.memberId}`;
  const J = `JP:${japan.memberId}`;

  it('lists current members in key order, each item as GET /v1/members/{key} gives it', async () => {
    const response = await get('/v1/members');
    expect(response.status).toBe(200);
    const page = response.body as Page;
    expect(page.members.map((m) => m.key)).toEqual([S, A, J]);
    expect(page.next).toBeNull();
    for (const item of page.members) expect(item).toEqual((await get(`/v1/members/${item.key}`)).body);
    expect(page.members[1]).toMatchObject({ version: 1, change: 'added', member: { status: 'suspended', recognized: false }, arrangement: { code: 'EU', status: 'active' } });
  });

  it('filters by administration, recognition, status, role, country, change time and removal', async () => {
    expect(await keys('administration=JP')).toEqual([`${J}@1`]);
    expect(await keys('recognized=false')).toEqual([`${A}@1`]);
    expect(await keys('recognized=true')).toEqual([`${S}@1`, `${J}@1`]);
    expect(await keys('status=suspended')).toEqual([`${A}@1`]);
    expect(await keys('role=importer')).toEqual([`${A}@1`]);
    expect(await keys('country=FR')).toEqual([`${S}@1`]);
    expect(await keys(`changedSince=${encodeURIComponent(between)}`)).toEqual([`${J}@1`]);
    expect(await keys('includeRemoved=true&administration=EU')).toEqual([`${S}@1`, `${A}@1`, `${G}@2`]);
    expect(await keys('includeRemoved=true&name=acme%20gone')).toEqual([`${G}@2`]);
  });

  it('looks up by partner and derived MID, by identifier and by folded name prefix', async () => {
    expect(await keys('mid=frsocgen1par')).toEqual([`${S}@1`]);
    const derived = ((await get(`/v1/members/${J}`)).body as Item).member.mids.find((m) => m.source === 'derived')!.value;
    expect(await keys(`mid=${derived}`)).toEqual([`${J}@1`]);
    expect(await keys('mid=ZZNOBODY1ZZZ')).toEqual([]);
    expect(await keys(`identifier=EORI:${societe.memberId}`)).toEqual([`${S}@1`]);
    expect(await keys(`identifier=eori:${societe.memberId}`)).toEqual([`${S}@1`]);
    expect(await keys(`identifier=OTHER:${societe.memberId}`)).toEqual([]);
    expect(await keys('name=societe%20GEN')).toEqual([`${S}@1`]);
    expect(await keys('name=sg%20par')).toEqual([`${S}@1`]);
    expect(await keys('name=Acm%C3%A9')).toEqual([`${A}@1`, `${J}@1`]);
    expect(await keys('name=acme&administration=JP')).toEqual([`${J}@1`]);
  });

  it('refuses what it does not understand with 400 invalid-request', async () => {
    for (const query of ['mids=X', 'limit=0', 'limit=1001', 'cursor=nonsense', 'status=dormant', 'role=pilot', 'recognized=yes', 'country=fr', 'administration=XX', 'mid=FR-1', 'name=%2E%2E', 'identifier=FOO:1', 'changedSince=yesterday', 'status=certified&status=suspended']) {
      const response = await get(`/v1/members?${query}`);
      expect({ query, status: response.status, type: (response.body as { type?: string }).type }).toEqual({ query, status: 400, type: invalidRequest });
    }
  });

  it('answers 401 without a token, 403 for a key without members:read, and keeps partners to their own administration', async () => {
    const none = await test.http.get('/v1/members');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    expect((await get('/v1/members', await adminToken(auditor))).status).toBe(403);
    const partner = await partnerReadToken(jp);
    expect(await keys('', partner)).toEqual([`${J}@1`]);
    expect(await keys('name=acme', partner)).toEqual([`${J}@1`]);
    const other = await get('/v1/members?administration=EU', partner);
    expect(other.status).toBe(403);
    expect((other.body as { type: string }).type).toBe(problemTypeUri('forbidden'));
    expect(await keys('administration=EU', await partnerReadToken(eu))).toEqual([`${S}@1`, `${A}@1`]);
  });

  it('pages stay stable while a snapshot is accepted: every member once', async () => {
    const first = membersOf('GB', 3000, 'P');
    expect((await post(gb, 'GB', first, 'snapshot')).status).toBe(202);
    const second = nextSnapshot(first, membersOf('GB', 300, 'Q'));
    let accepted = false;
    const intake = post(gb, 'GB', second, 'snapshot').then((response) => {
      accepted = true;
      return response;
    });
    const seen: string[] = [];
    const versions = new Set<number>();
    let pagesBeforeAcceptance = 0;
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(`/v1/members?administration=GB&includeRemoved=true&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      const page = response.body as Page;
      seen.push(...page.members.map((m) => m.key));
      for (const m of page.members) versions.add(m.version);
      if (!accepted) pagesBeforeAcceptance++;
      cursor = page.next;
      pages++;
      // The rest of the pages after the commit: the listing goes on across it.
      if (pages === 5) await intake;
    } while (cursor !== null);
    expect((await intake).status).toBe(202);
    // At least one page was read before the snapshot was accepted (on PostgreSQL, pages go on during its transaction).
    expect(pagesBeforeAcceptance).toBeGreaterThanOrEqual(1);
    expect(versions).toEqual(new Set([1, 2]));
    expect(new Set(seen).size).toBe(seen.length);
    // Every member held before the snapshot is listed exactly once, whether its page came before or after the commit.
    const held = new Set(seen);
    expect(first.filter((m) => !held.has(`GB:${m.memberId}`))).toEqual([]);
    expect(pages).toBeGreaterThanOrEqual(30);
    // Once it is accepted, the listing holds its state: the removed as removed, the added at version 1.
    const kept = new Set(second.map((m) => m.memberId));
    const removed = first.filter((m) => !kept.has(m.memberId)).length;
    expect(removed).toBeGreaterThan(0);
    expect(await countOf('administration=GB&includeRemoved=true')).toBe(3300);
    expect(await countOf('administration=GB')).toBe(3300 - removed);
  });

  const countOf = async (query: string): Promise<number> => {
    let total = 0;
    let cursor: string | null = null;
    do {
      const page: Page = (await get(`/v1/members?${query}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).body as Page;
      total += page.members.length;
      cursor = page.next;
    } while (cursor !== null);
    return total;
  };
});
