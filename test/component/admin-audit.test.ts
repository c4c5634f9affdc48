import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { startTestGateway, type TestGateway, disposeTestGateway, embeddedDb } from '../support/test-gateway.js';

const problem = (code: string) => `urn:mra-gateway:problem:${code}`;

interface AuditPage {
  entries: { seq: number; action: string; administration: string | null; actor: { kid: string; sub: string } }[];
  next: number | null;
}

describe('the audit log', () => {
  let alice: AdminSigningKey;
  let bob: AdminSigningKey;
  let test: TestGateway;

  beforeAll(async () => {
    alice = await createAdminKey({ kid: 'alice-2026' });
    bob = await createAdminKey({ kid: 'bob-2026' });
    test = await startTestGateway({ adminKeys: [alice.publicJwk, bob.publicJwk] });
    // Seven actions by two administrators.
    for (const [key, status] of [
      [alice, 'suspended'],
      [bob, 'active'],
      [alice, 'suspended'],
      [bob, 'active'],
      [alice, 'suspended'],
      [bob, 'active'],
    ] as const) {
      const response = await adminCall(test.http, key, 'patch', '/administrations/JP', { status, reason: `${key.kid} sets ${status}` }, { claims: { sub: key.kid.split('-')[0] } });
      expect(response.status).toBe(200);
    }
    expect((await adminCall(test.http, alice, 'post', '/receipt-keys/rotate')).status).toBe(201);
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  const page = async (query: string) => {
    const response = await adminCall(test.http, bob, 'get', `/audit${query}`);
    expect(response.status).toBe(200);
    return response.body as AuditPage;
  };

  it('pages with limit and the after cursor, oldest first, until next is null', async () => {
    const all = await page('');
    expect(all.next).toBeNull();
    expect(all.entries.map((e) => e.action)).toEqual([
      'arrangement.suspend',
      'arrangement.reinstate',
      'arrangement.suspend',
      'arrangement.reinstate',
      'arrangement.suspend',
      'arrangement.reinstate',
      'receipt-key.rotate',
    ]);
    expect(all.entries.map((e) => e.actor)).toEqual([
      { kid: 'alice-2026', sub: 'alice', requestId: expect.any(String) as unknown },
      { kid: 'bob-2026', sub: 'bob', requestId: expect.any(String) as unknown },
      expect.anything(),
      expect.anything(),
      expect.anything(),
      expect.anything(),
      { kid: 'alice-2026', sub: 'test-admin', requestId: expect.any(String) as unknown },
    ]);

    const first = await page('?limit=3');
    expect(first.entries).toEqual(all.entries.slice(0, 3));
    expect(first.next).toBe(all.entries[2]!.seq);
    const second = await page(`?limit=3&after=${first.next}`);
    expect(second.entries).toEqual(all.entries.slice(3, 6));
    const third = await page(`?limit=3&after=${second.next}`);
    expect(third.entries).toEqual(all.entries.slice(6));
    expect(third.next).toBeNull();
    expect(await page(`?after=${all.entries[6]!.seq}`)).toEqual({ entries: [], next: null });
  });

  it('refuses bad paging parameters with 400 invalid-request', async () => {
    for (const query of ['?limit=0', '?limit=501', '?limit=ten', '?after=-1', '?after=1&after=2', '?cursor=5']) {
      const response = await adminCall(test.http, bob, 'get', `/audit${query}`);
      expect({ query, status: response.status, type: (response.body as { type: string }).type }).toEqual({ query, status: 400, type: problem('invalid-request') });
    }
  });

  it('offers no way to change it through the API', async () => {
    for (const method of ['put', 'patch', 'delete', 'post'] as const) {
      const token = await adminToken(alice);
      const response = await test.http[method]('/admin/v1/audit').set('Authorization', `Bearer ${token}`).send({ entries: [] });
      expect({ method, status: response.status }).toEqual({ method, status: 405 });
      expect(response.body).toMatchObject({ type: problem('method-not-allowed') });
      // GET routes answer HEAD too (Express does), so Allow names it.
      expect(response.headers.allow).toBe('GET, HEAD');
    }
    expect((await page('')).entries).toHaveLength(7);
  });

  it('is append-only in the database itself: updates and deletes are refused', async () => {
    const before = await page('');
    const db = embeddedDb(test.gateway);
    expect(() => db.prepare("UPDATE audit_log SET actor_sub = 'someone-else'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = ?').run(before.entries[0]!.seq)).toThrow(/append-only/);
    expect(await page('')).toEqual(before);
  });

  it('survives a restart on the same DATA_DIR, append-only still', async () => {
    const before = await page('');
    await test.stop();
    test = await startTestGateway({ reuse: test });
    expect(await page('')).toEqual(before);
    expect(() => embeddedDb(test.gateway).prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect((await adminCall(test.http, alice, 'patch', '/administrations/JP', { status: 'suspended', reason: 'after restart' })).status).toBe(200);
    const after = await page('');
    expect(after.entries).toHaveLength(before.entries.length + 1);
    expect(after.entries.at(-1)!.seq).toBeGreaterThan(before.entries.at(-1)!.seq);
  });
});
