import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { submitSignedList } from '../support/submissions.js';
import { startTestGateway, type TestGateway, disposeTestGateway, embeddedDb } from '../support/test-gateway.js';

const problem = (code: string) => `urn:mra-gateway:problem:${code}`;

describe('arrangement status through the admin API', () => {
  let admin: AdminSigningKey;
  let euKey: PartnerSigningKey;
  let test: TestGateway;

  beforeAll(async () => {
    admin = await createAdminKey();
    euKey = await createPartnerKey('EU');
    // GB starts suspended in the registry file, to show that an administrator's change overrides it.
    test = await startTestGateway({ keys: [euKey], adminKeys: [admin.publicJwk], arrangements: { GB: { status: 'suspended' } } });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  const call = (method: 'get' | 'patch', path: string, body?: object) => adminCall(test.http, admin, method, path, body);
  const expectSubmission = async (status: number, type?: string) => {
    const response = await submitSignedList(test.http, euKey);
    expect(response.status).toBe(status);
    if (type) expect(response.body).toMatchObject({ type: problem(type) });
  };

  it('lists every arrangement with the status in force', async () => {
    const response = await call('get', '/administrations');
    expect(response.status).toBe(200);
    const list = (response.body as { administrations: { code: string; status: string; configuredStatus: string; acceptingSubmissions: boolean }[] }).administrations;
    expect(list).toHaveLength(18);
    expect(list.find((a) => a.code === 'EU')).toMatchObject({ status: 'active', configuredStatus: 'active', acceptingSubmissions: true });
    expect(list.find((a) => a.code === 'GB')).toMatchObject({ status: 'suspended', configuredStatus: 'suspended', acceptingSubmissions: false });
    const unknown = await call('get', '/administrations/XX');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ type: problem('unknown-administration') });
  });

  it('suspends at once (403 mra-not-active) and reinstates at once (202)', async () => {
    await expectSubmission(202);
    const suspended = await call('patch', '/administrations/EU', { status: 'suspended', reason: 'Joint review of the AEO programme' });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ code: 'EU', status: 'suspended', configuredStatus: 'active', acceptingSubmissions: false, statusChange: { reason: 'Joint review of the AEO programme' } });
    // Who changed it: the token's sub and the admin key, as two fields (as the audit log's actor).
    expect((suspended.body as { statusChange: { changedBy: unknown } }).statusChange.changedBy).toEqual({ kid: admin.kid, sub: 'test-admin' });
    expect(((await call('get', '/administrations/EU')).body as { statusChange: { changedBy: unknown } }).statusChange.changedBy).toEqual({ kid: admin.kid, sub: 'test-admin' });
    await expectSubmission(403, 'mra-not-active');

    const reinstated = await call('patch', '/administrations/EU', { status: 'active', reason: 'Review completed' });
    expect(reinstated.status).toBe(200);
    expect(reinstated.body).toMatchObject({ status: 'active', acceptingSubmissions: true });
    await expectSubmission(202);
  });

  it('refuses status changes that make no sense, and bad bodies, changing nothing', async () => {
    const cases: { body: object; status: number; code: string }[] = [
      { body: { status: 'active', reason: 'already active' }, status: 409, code: 'invalid-state-transition' },
      { body: { status: 'paused', reason: 'x' }, status: 400, code: 'invalid-request' },
      { body: { status: 'suspended' }, status: 400, code: 'invalid-request' },
      { body: { status: 'suspended', reason: '' }, status: 400, code: 'invalid-request' },
      { body: { status: 'suspended', reason: 'x', until: '2030-01-01' }, status: 400, code: 'invalid-request' },
    ];
    for (const { body, status, code } of cases) {
      const response = await call('patch', '/administrations/EU', body);
      expect({ body, status: response.status, type: (response.body as { type: string }).type }).toEqual({ body, status, type: problem(code) });
    }
    const unknown = await call('patch', '/administrations/XX', { status: 'suspended', reason: 'x' });
    expect(unknown.status).toBe(404);
    await expectSubmission(202);
  });

  it('reinstates an arrangement the registry file has suspended', async () => {
    const response = await call('patch', '/administrations/GB', { status: 'active', reason: 'Programme re-validated' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'active', configuredStatus: 'suspended', acceptingSubmissions: true });
  });

  it('terminates for good: submissions refused, reinstating refused with 409', async () => {
    const terminated = await call('patch', '/administrations/EU', { status: 'terminated', reason: 'Arrangement ended by the parties' });
    expect(terminated.status).toBe(200);
    await expectSubmission(403, 'mra-not-active');
    for (const status of ['active', 'suspended', 'terminated']) {
      const response = await call('patch', '/administrations/EU', { status, reason: 'try' });
      expect(response.status, status).toBe(409);
      expect(response.body).toMatchObject({ type: problem('invalid-state-transition') });
    }
    await expectSubmission(403, 'mra-not-active');
  });

  it('audits every status change with before and after', async () => {
    const entries = ((await call('get', '/audit')).body as { entries: { action: string; administration: string; before: unknown; after: unknown; reason: string }[] }).entries;
    expect(entries.map((e) => [e.action, e.administration, e.before, e.after, e.reason])).toEqual([
      ['arrangement.suspend', 'EU', { status: 'active', reason: null }, { status: 'suspended', reason: 'Joint review of the AEO programme' }, 'Joint review of the AEO programme'],
      ['arrangement.reinstate', 'EU', { status: 'suspended', reason: 'Joint review of the AEO programme' }, { status: 'active', reason: 'Review completed' }, 'Review completed'],
      ['arrangement.reinstate', 'GB', { status: 'suspended', reason: null }, { status: 'active', reason: 'Programme re-validated' }, 'Programme re-validated'],
      ['arrangement.terminate', 'EU', { status: 'active', reason: 'Review completed' }, { status: 'terminated', reason: 'Arrangement ended by the parties' }, 'Arrangement ended by the parties'],
    ]);
  });

  it('keeps the status changes over mras.json across a restart on the same DATA_DIR', async () => {
    // A change stored by an earlier version, whose changed_by column holds "<sub> (key <kid>)".
    const legacy = "INSERT INTO arrangement_status (administration, status, reason, changed_at, changed_by) VALUES ('JP', 'suspended', 'stored earlier', 0, 'carol (key 1) (key carol-2025)')";
    embeddedDb(test.gateway).prepare(legacy).run();
    await test.stop();
    test = await startTestGateway({ reuse: test });
    await expectSubmission(403, 'mra-not-active');
    const eu = await call('get', '/administrations/EU');
    expect(eu.body).toMatchObject({ status: 'terminated', configuredStatus: 'active', statusChange: { reason: 'Arrangement ended by the parties', changedBy: { kid: admin.kid, sub: 'test-admin' } } });
    const jp = await call('get', '/administrations/JP');
    expect(jp.body).toMatchObject({ status: 'suspended', statusChange: { reason: 'stored earlier', changedBy: { kid: 'carol-2025', sub: 'carol (key 1)' } } });
    // Reading does not rewrite what is stored.
    expect(embeddedDb(test.gateway).prepare("SELECT changed_by FROM arrangement_status WHERE administration = 'JP'").get()).toEqual({ changed_by: 'carol (key 1) (key carol-2025)' });
    const gb = await call('get', '/administrations/GB');
    expect(gb.body).toMatchObject({ status: 'active', configuredStatus: 'suspended', acceptingSubmissions: true });
    const reinstate = await call('patch', '/administrations/EU', { status: 'active', reason: 'after restart' });
    expect(reinstate.status).toBe(409);
  });
});
