import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ROLES, type AdminRole } from '../../src/admin/admin-key.js';
import { adminCall, adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { submitSignedList } from '../support/submissions.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const FORBIDDEN = 'urn:mra-gateway:problem:forbidden';

/**
 * The roles settled (issue 15): any admin role reads everything the admin API shows; each change
 * needs its own role; `audit` alone reads and changes nothing; the register's `members:read` alone
 * reads nothing here but who it is (GET /me).
 */
describe('admin roles: reads for every admin role, changes by role', () => {
  const keys: Record<string, AdminSigningKey> = {};
  const roles: Record<string, AdminRole[] | undefined> = {
    all: undefined,
    keys: ['keys'],
    arrangements: ['arrangements'],
    receiptKeys: ['receipt-keys'],
    audit: ['audit'],
    register: ['members:read'],
    keysAndAudit: ['keys', 'audit'],
  };
  let euKey: PartnerSigningKey;
  let test: TestGateway;
  let submissionId: string;
  let receiptKid: string;

  beforeAll(async () => {
    for (const [name, list] of Object.entries(roles)) keys[name] = await createAdminKey({ kid: `roles-${name}`, ...(list ? { roles: list } : {}) });
    euKey = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [euKey], adminKeys: Object.values(keys).map((k) => k.publicJwk) });
    expect((await submitSignedList(test.http, euKey)).status).toBe(202);
    submissionId = ((await adminCall(test.http, keys.all!, 'get', '/submissions')).body as { submissions: { id: string }[] }).submissions[0]!.id;
    receiptKid = ((await adminCall(test.http, keys.all!, 'get', '/receipt-keys')).body as { signing: string }).signing;
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  const reads = () => ['/administrations', '/administrations/EU', '/administrations/EU/keys', '/receipt-keys', '/audit', '/submissions', `/submissions/${submissionId}`];

  it('tells every key its kid, sub and roles at GET /me, whatever its roles', async () => {
    for (const [name, list] of Object.entries(roles)) {
      const response = await adminCall(test.http, keys[name]!, 'get', '/me', undefined, { claims: { sub: `${name}@cbp.example` } });
      expect(response.status, name).toBe(200);
      expect(response.body).toEqual({ kid: `roles-${name}`, sub: `${name}@cbp.example`, roles: list ?? [...ADMIN_ROLES] });
    }
  });

  it('lets every admin role read everything the admin API shows, GET and HEAD alike', async () => {
    for (const name of ['all', 'keys', 'arrangements', 'receiptKeys', 'audit', 'keysAndAudit']) {
      for (const path of reads()) {
        const response = await adminCall(test.http, keys[name]!, 'get', path);
        expect(response.status, `${name} GET ${path}`).toBe(200);
        const head = await test.http.head(`/admin/v1${path}`).set('Authorization', `Bearer ${await adminToken(keys[name]!)}`);
        expect(head.status, `${name} HEAD ${path}`).toBe(200);
      }
    }
  });

  it('lets a key that only reads the member register read nothing of the admin API', async () => {
    for (const path of reads()) {
      const response = await adminCall(test.http, keys.register!, 'get', path);
      expect(response.status, path).toBe(403);
      expect(response.body).toMatchObject({ type: FORBIDDEN });
      expect((response.body as { detail: string }).detail).toContain('none of the roles that read the admin API');
    }
  });

  it('refuses every change to a key without its role, audit and members:read included, and changes nothing', async () => {
    const next = await createPartnerKey('EU');
    const changes: { method: 'post' | 'patch'; path: string; body?: object; role: AdminRole }[] = [
      { method: 'patch', path: '/administrations/JP', body: { status: 'suspended', reason: 'role test' }, role: 'arrangements' },
      { method: 'post', path: '/administrations/EU/keys', body: { jwk: next.publicJwk }, role: 'keys' },
      { method: 'post', path: `/administrations/EU/keys/${euKey.kid}/retire`, body: { notAfter: new Date(Date.now() + 86_400_000).toISOString() }, role: 'keys' },
      { method: 'post', path: `/administrations/EU/keys/${euKey.kid}/revoke`, body: { reason: 'role test' }, role: 'keys' },
      { method: 'post', path: '/receipt-keys/rotate', role: 'receipt-keys' },
      { method: 'post', path: `/receipt-keys/${receiptKid}/retire`, role: 'receipt-keys' },
    ];
    const before = {
      arrangements: (await adminCall(test.http, keys.audit!, 'get', '/administrations')).body as unknown,
      partnerKeys: (await adminCall(test.http, keys.audit!, 'get', '/administrations/EU/keys')).body as unknown,
      receiptKeys: (await adminCall(test.http, keys.audit!, 'get', '/receipt-keys')).body as unknown,
    };
    for (const change of changes) {
      for (const [name, list] of Object.entries(roles)) {
        if (list === undefined || list.includes(change.role)) continue;
        const response = await adminCall(test.http, keys[name]!, change.method, change.path, change.body);
        expect(response.status, `${name} ${change.method} ${change.path}`).toBe(403);
        expect(response.body).toMatchObject({ type: FORBIDDEN });
        expect((response.body as { detail: string }).detail).toContain(`role "${change.role}"`);
      }
    }
    expect((await adminCall(test.http, keys.audit!, 'get', '/audit')).body).toEqual({ entries: [], next: null });
    expect((await adminCall(test.http, keys.audit!, 'get', '/administrations')).body).toEqual(before.arrangements);
    expect((await adminCall(test.http, keys.audit!, 'get', '/administrations/EU/keys')).body).toEqual(before.partnerKeys);
    expect((await adminCall(test.http, keys.audit!, 'get', '/receipt-keys')).body).toEqual(before.receiptKeys);
    expect((await submitSignedList(test.http, euKey)).status).toBe(202);
  });

  it("lets each role's holder make its changes, and records who made them", async () => {
    const [added, other] = await Promise.all([createPartnerKey('EU'), createPartnerKey('EU')]);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const steps: [name: string, method: 'post' | 'patch', path: string, body: object | undefined, status: number][] = [
      ['arrangements', 'patch', '/administrations/JP', { status: 'suspended', reason: 'review' }, 200],
      ['arrangements', 'patch', '/administrations/JP', { status: 'active', reason: 'review done' }, 200],
      ['keys', 'post', '/administrations/EU/keys', { jwk: added.publicJwk }, 201],
      ['keys', 'post', `/administrations/EU/keys/${added.kid}/retire`, { notAfter: future }, 200],
      ['keysAndAudit', 'post', '/administrations/EU/keys', { jwk: other.publicJwk }, 201],
      ['keysAndAudit', 'post', `/administrations/EU/keys/${other.kid}/revoke`, { reason: 'never used' }, 200],
      ['receiptKeys', 'post', '/receipt-keys/rotate', undefined, 201],
      ['receiptKeys', 'post', `/receipt-keys/${receiptKid}/retire`, undefined, 200],
      ['all', 'post', '/receipt-keys/rotate', undefined, 201],
    ];
    for (const [name, method, path, body, status] of steps) {
      const response = await adminCall(test.http, keys[name]!, method, path, body);
      expect(response.status, `${name} ${method} ${path}: ${JSON.stringify(response.body)}`).toBe(status);
    }
    const audit = (await adminCall(test.http, keys.audit!, 'get', '/audit')).body as { entries: { actor: { kid: string }; action: string }[] };
    expect(audit.entries.map((e) => [e.actor.kid, e.action])).toEqual([
      ['roles-arrangements', 'arrangement.suspend'],
      ['roles-arrangements', 'arrangement.reinstate'],
      ['roles-keys', 'partner-key.add'],
      ['roles-keys', 'partner-key.retire'],
      ['roles-keysAndAudit', 'partner-key.add'],
      ['roles-keysAndAudit', 'partner-key.revoke'],
      ['roles-receiptKeys', 'receipt-key.rotate'],
      ['roles-receiptKeys', 'receipt-key.retire'],
      ['roles-all', 'receipt-key.rotate'],
    ]);
  });
});
