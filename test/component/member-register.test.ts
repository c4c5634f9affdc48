import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemTypeUri, type ProblemCode } from '../../src/domain/problem-types.js';
import { memberOf } from '../support/administration-members.js';
import { adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { signCompact } from '../support/jws.js';
import { memberList, type Member } from '../support/member-lists.js';
import { createPartnerKey, partnerReadToken, type PartnerSigningKey } from '../support/partner-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';

interface View {
  key: string;
  version: number;
  change: string;
  acceptedAt: string;
  member: { status: string; version: number; legalName: string };
  source: { messageId: string } | null;
  arrangement?: { code: string; status: string };
}

const problem = (code: ProblemCode) => problemTypeUri(code);

/** The register through HTTP, on both stores (ICD 5). */
describe.each(['sqlite', 'postgres'] as const)('member register: %s', (store) => {
  let test: TestGateway;
  let database: TestDatabase | undefined;
  let eu: PartnerSigningKey;
  let jp: PartnerSigningKey;
  let reader: AdminSigningKey;
  let auditor: AdminSigningKey;
  let operator: AdminSigningKey;
  const a = memberOf('EU', 1, 'R');
  const b = memberOf('EU', 2, 'R');
  let beforeSuspension = '';
  let afterSuspension = '';
  let cbpToken = '';

  const get = (path: string, token?: string) => {
    const request = test.http.get(path);
    return token === undefined ? request : request.set('Authorization', `Bearer ${token}`);
  };
  const send = async (members: Member[], kind: 'snapshot' | 'delta', removals: string[] = []) => {
    const list = memberList([...members, ...removals.map((memberId) => ({ memberId, removed: true as const }))], { kind });
    expect((await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(list, eu))).status).toBe(202);
  };

  beforeAll(async () => {
    [eu, jp, reader, auditor, operator] = await Promise.all([
      createPartnerKey('EU'),
      createPartnerKey('JP'),
      createAdminKey({ roles: ['members:read'] }),
      createAdminKey({ roles: ['audit'] }),
      createAdminKey(),
    ]);
    database = store === 'postgres' ? await createTestDatabase('mra_register') : undefined;
    test = await startTestGateway({ keys: [eu, jp], adminKeys: [reader.publicJwk, auditor.publicJwk, operator.publicJwk], ...(database ? { databaseUrl: database.url } : {}) });
    await send([a, b], 'snapshot');
    beforeSuspension = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await send([{ ...a, status: 'suspended', statusSince: '2026-11-30' }], 'delta');
    afterSuspension = new Date(Date.now() + 5).toISOString();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await send([], 'delta', [b.memberId]);
    cbpToken = await adminToken(reader);
  });
  afterAll(async () => {
    await disposeTestGateway(test);
    await database?.drop();
  });

  it("gives a member's current state with its version, change, source and the arrangement's status", async () => {
    const response = await get(`/v1/members/EU:${a.memberId}`, cbpToken);
    expect(response.status).toBe(200);
    const body = response.body as View;
    expect(body).toMatchObject({ key: `EU:${a.memberId}`, version: 2, change: 'status-changed', member: { status: 'suspended', version: 2 }, arrangement: { code: 'EU', status: 'active' } });
    expect(body.source).toMatchObject({ messageId: expect.any(String) as string });
  });

  it('gives a removed member as removed', async () => {
    const response = await get(`/v1/members/EU:${b.memberId}`, cbpToken);
    expect(response.status).toBe(200);
    expect(response.body as View).toMatchObject({ version: 2, change: 'removed' });
  });

  it('gives what the gateway held at an instant: certified before the suspension, suspended after, 404 before it existed', async () => {
    const before = await get(`/v1/members/EU:${a.memberId}?asOf=${encodeURIComponent(beforeSuspension)}`, cbpToken);
    expect(before.body as View).toMatchObject({ version: 1, member: { status: 'certified' } });
    const after = await get(`/v1/members/EU:${a.memberId}?asOf=${encodeURIComponent(afterSuspension)}`, cbpToken);
    expect(after.body as View).toMatchObject({ version: 2, member: { status: 'suspended' } });
    const earlier = await get(`/v1/members/EU:${a.memberId}?asOf=2020-01-01T00:00:00Z`, cbpToken);
    expect(earlier.status).toBe(404);
    expect((earlier.body as { type: string }).type).toBe(problem('member-not-found'));
    const bad = await get(`/v1/members/EU:${a.memberId}?asOf=yesterday`, cbpToken);
    expect(bad.status).toBe(400);
    expect((bad.body as { type: string }).type).toBe(problem('invalid-request'));
  });

  it('pages the history oldest first with an opaque cursor', async () => {
    const first = await get(`/v1/members/EU:${a.memberId}/history?limit=1`, cbpToken);
    expect(first.status).toBe(200);
    const page = first.body as { versions: View[]; next: string | null };
    expect(page.versions.map((v) => [v.version, v.change])).toEqual([[1, 'added']]);
    expect(page.next).toEqual(expect.any(String));
    const second = (await get(`/v1/members/EU:${a.memberId}/history?limit=1&cursor=${page.next}`, cbpToken)).body as { versions: View[]; next: string | null };
    expect(second.versions.map((v) => [v.version, v.change])).toEqual([[2, 'status-changed']]);
    expect(second.next).toBeNull();
    expect((await get(`/v1/members/EU:${a.memberId}/history?cursor=garbage`, cbpToken)).status).toBe(400);
  });

  it('lets a CBP token be used again until it expires (reads change nothing)', async () => {
    expect((await get(`/v1/members/EU:${a.memberId}`, cbpToken)).status).toBe(200);
    expect((await get(`/v1/members/EU:${a.memberId}`, cbpToken)).status).toBe(200);
  });

  it("lets a partner read its own administration's members and refuses another's (403)", async () => {
    expect((await get(`/v1/members/EU:${a.memberId}`, await partnerReadToken(eu))).status).toBe(200);
    const other = await get(`/v1/members/EU:${a.memberId}`, await partnerReadToken(jp));
    expect(other.status).toBe(403);
    expect((other.body as { type: string }).type).toBe(problem('forbidden'));
  });

  it('refuses a caller without a token (401), with another token kind (401), or without the role (403)', async () => {
    const none = await get(`/v1/members/EU:${a.memberId}`);
    expect(none.status).toBe(401);
    expect((none.body as { type: string }).type).toBe(problem('unauthorized'));
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    expect((await get(`/v1/members/EU:${a.memberId}`, await partnerReadToken(eu, 'mra-gateway-admin'))).status).toBe(401);
    const auditOnly = await get(`/v1/members/EU:${a.memberId}`, await adminToken(auditor));
    expect(auditOnly.status).toBe(403);
    expect((auditOnly.body as { type: string }).type).toBe(problem('forbidden'));
    // A member unknown, or of an administration the gateway does not know: 404 once authenticated.
    expect((await get('/v1/members/EU:NOBODY', cbpToken)).status).toBe(404);
    expect((await get('/v1/members/XX:NOBODY', cbpToken)).status).toBe(404);
    // A partner cannot tell an administration that exists from one that does not.
    expect((await get('/v1/members/XX:NOBODY', await partnerReadToken(eu))).status).toBe(403);
  });

  it('uses up, for the admin API, a token with a jti that was used to read', async () => {
    const token = await adminToken(operator);
    expect((await get(`/v1/members/EU:${a.memberId}`, token)).status).toBe(200);
    const admin = await test.http.get('/admin/v1/audit').set('Authorization', `Bearer ${token}`);
    expect(admin.status).toBe(401);
    expect((admin.body as { type: string }).type).toBe(problem('unauthorized'));
  });
});
