import { exportJWK, generateKeyPair } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { submitSignedList } from '../support/submissions.js';
import { TestClock } from '../support/test-clock.js';
import { startTestGateway, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

const problem = (code: string) => `urn:mra-gateway:problem:${code}`;
const MINUTE = 60_000;

interface KeyView {
  kid: string;
  state: string;
  notBefore: string | null;
  notAfter: string | null;
  revokedAt: string | null;
  revocationReason: string | null;
}

interface AuditEntryBody {
  seq: number;
  at: string;
  actor: { kid: string; sub: string; requestId?: string };
  action: string;
  administration: string | null;
  kid: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
}

describe('partner key lifecycle through the admin API', () => {
  const clock = new TestClock();
  let admin: AdminSigningKey;
  let oldKey: PartnerSigningKey;
  let newKey: PartnerSigningKey;
  let thirdKey: PartnerSigningKey;
  let laterKey: PartnerSigningKey;
  let test: TestGateway;

  beforeAll(async () => {
    admin = await createAdminKey();
    [oldKey, newKey, thirdKey, laterKey] = await Promise.all([createPartnerKey('EU'), createPartnerKey('EU'), createPartnerKey('EU'), createPartnerKey('EU')]);
    test = await startTestGateway({ keys: [oldKey], adminKeys: [admin.publicJwk], options: { clock } });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  const call = (method: 'get' | 'post' | 'patch', path: string, body?: object) => adminCall(test.http, admin, method, path, body, { now: clock.now() });
  const keyStates = async () => {
    const response = await call('get', '/administrations/EU/keys');
    expect(response.status).toBe(200);
    return Object.fromEntries((response.body as { keys: KeyView[] }).keys.map((k) => [k.kid, k.state]));
  };
  const audit = async () => ((await call('get', '/audit')).body as { entries: AuditEntryBody[] }).entries;

  it('answers a body in a charset other than UTF-8 with 415, not a 500', async () => {
    const response = await test.http
      .post('/admin/v1/administrations/EU/keys')
      .set('Authorization', `Bearer ${await adminToken(admin, { now: clock.now() })}`)
      .set('Content-Type', 'application/json; charset=latin1')
      .send(JSON.stringify({ jwk: newKey.publicJwk }));
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({ type: problem('unsupported-media-type') });
  });

  it('refuses keys it must not register, each with a 400 problem, and stores nothing', async () => {
    const ec = await createPartnerKey('EU');
    const privateJwk = { ...(await exportJWK(ec.privateKey)), kid: 'private-one' };
    const rsa1024 = { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }), kid: 'rsa-1024' };
    const rsa2048 = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'rsa-2048' };
    const p521 = { ...(await exportJWK((await generateKeyPair('ES512', { extractable: true })).publicKey)), kid: 'p-521' };
    const secp256k1 = { ...generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' }), kid: 'k1' };
    const offCurve = { ...ec.publicJwk, kid: 'off-curve', y: ec.publicJwk.x };
    const future = new Date(clock.now().getTime() + 60 * MINUTE).toISOString();
    const cases: { name: string; body: unknown; status: number; type: string }[] = [
      { name: 'a private key', body: { jwk: privateJwk }, status: 400, type: problem('invalid-partner-key') },
      { name: 'RSA under 2048 bits', body: { jwk: rsa1024 }, status: 400, type: problem('invalid-partner-key') },
      { name: 'an RSA key for an algorithm outside the allowlist', body: { jwk: { ...rsa2048, alg: 'RS256' } }, status: 400, type: problem('invalid-partner-key') },
      { name: 'an EC curve no allowed algorithm uses (P-521)', body: { jwk: p521 }, status: 400, type: problem('invalid-partner-key') },
      { name: 'an EC curve outside JOSE (secp256k1)', body: { jwk: secp256k1 }, status: 400, type: problem('invalid-partner-key') },
      { name: 'a symmetric key', body: { jwk: { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac', alg: 'HS256' } }, status: 400, type: problem('invalid-partner-key') },
      { name: 'a JWK without kid', body: { jwk: { ...ec.publicJwk, kid: undefined } }, status: 400, type: problem('invalid-partner-key') },
      { name: 'a point that is not on the curve', body: { jwk: offCurve }, status: 400, type: problem('invalid-partner-key') },
      { name: 'a JWK that is not an object', body: { jwk: 'BEGIN PUBLIC KEY' }, status: 400, type: problem('invalid-partner-key') },
      { name: 'a kid the administration already has', body: { jwk: { ...ec.publicJwk, kid: oldKey.kid } }, status: 400, type: problem('duplicate-kid') },
      { name: 'no jwk', body: { notAfter: future }, status: 400, type: problem('invalid-request') },
      { name: 'an unknown member', body: { jwk: ec.publicJwk, notafter: future }, status: 400, type: problem('invalid-request') },
      { name: 'notBefore that is not a date-time', body: { jwk: ec.publicJwk, notBefore: 'tomorrow' }, status: 400, type: problem('invalid-request') },
      { name: 'notAfter in the past', body: { jwk: ec.publicJwk, notAfter: '2020-01-01T00:00:00Z' }, status: 400, type: problem('invalid-request') },
      { name: 'notAfter before notBefore', body: { jwk: ec.publicJwk, notBefore: future, notAfter: new Date(clock.now().getTime() + MINUTE).toISOString() }, status: 400, type: problem('invalid-request') },
    ];
    for (const { name, body, status, type } of cases) {
      const response = await call('post', '/administrations/EU/keys', body as object);
      expect({ name, status: response.status, type: (response.body as { type: string }).type }).toEqual({ name, status, type });
    }
    const unknown = await call('post', '/administrations/XX/keys', { jwk: ec.publicJwk });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ type: problem('unknown-administration') });
    const notJson = await test.http
      .post('/admin/v1/administrations/EU/keys')
      .set('Authorization', `Bearer ${await adminToken(admin, { now: clock.now() })}`)
      .set('Content-Type', 'application/json')
      .send('{"jwk": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ type: problem('invalid-request') });
    const text = await test.http
      .post('/admin/v1/administrations/EU/keys')
      .set('Authorization', `Bearer ${await adminToken(admin, { now: clock.now() })}`)
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ jwk: ec.publicJwk }));
    expect(text.status).toBe(415);

    expect(await keyStates()).toEqual({ [oldKey.kid]: 'active' });
    expect(await audit()).toEqual([]);
  });

  it('rotates with an overlap: old and new key both accepted, then only the new one after the old key\'s notAfter', async () => {
    const added = await call('post', '/administrations/EU/keys', { jwk: newKey.publicJwk });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ kid: newKey.kid, state: 'active', jwk: { kty: 'EC', crv: 'P-256', x: newKey.publicJwk.x, y: newKey.publicJwk.y } });
    expect((await submitSignedList(test.http, oldKey)).status).toBe(202);
    expect((await submitSignedList(test.http, newKey)).status).toBe(202);

    const notAfter = new Date(clock.now().getTime() + 10 * MINUTE).toISOString();
    const retired = await call('post', `/administrations/EU/keys/${oldKey.kid}/retire`, { notAfter });
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ kid: oldKey.kid, state: 'retiring', notAfter });
    expect(await keyStates()).toEqual({ [oldKey.kid]: 'retiring', [newKey.kid]: 'active' });
    expect((await submitSignedList(test.http, oldKey)).status).toBe(202);
    expect((await submitSignedList(test.http, newKey)).status).toBe(202);

    clock.advance(10 * MINUTE + 1000);
    const late = await submitSignedList(test.http, oldKey);
    expect(late.status).toBe(401);
    expect(late.body).toMatchObject({ type: problem('inactive-key') });
    expect((await submitSignedList(test.http, newKey)).status).toBe(202);
    expect(await keyStates()).toEqual({ [oldKey.kid]: 'expired', [newKey.kid]: 'active' });
  });

  it('keeps the audit trail of the rotation: who, what, when, before and after', async () => {
    const entries = await audit();
    expect(entries.map((e) => [e.action, e.administration, e.kid])).toEqual([
      ['partner-key.add', 'EU', newKey.kid],
      ['partner-key.retire', 'EU', oldKey.kid],
    ]);
    const [add, retire] = entries as [AuditEntryBody, AuditEntryBody];
    for (const entry of entries) {
      expect(entry.actor).toMatchObject({ kid: admin.kid, sub: 'test-admin' });
      expect(entry.actor.requestId).toEqual(expect.any(String));
    }
    expect(add.before).toBeNull();
    expect(add.after).toMatchObject({ kid: newKey.kid, state: 'active', jwk: { x: newKey.publicJwk.x }, notAfter: null });
    expect(retire.before).toMatchObject({ state: 'active', notAfter: null });
    expect(retire.after).toMatchObject({ state: 'retiring', notAfter: expect.any(String) as unknown });
    expect(Date.parse(retire.at)).toBeGreaterThanOrEqual(Date.parse(add.at));
    expect(retire.seq).toBeGreaterThan(add.seq);

    const logged = test.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'admin action');
    expect(logged.map((l) => [l.auditSeq, l.action, l.kid])).toEqual([
      [add.seq, 'partner-key.add', newKey.kid],
      [retire.seq, 'partner-key.retire', oldKey.kid],
    ]);
    expect(logged[0]).toMatchObject({ actor: { kid: admin.kid, sub: 'test-admin' }, administration: 'EU' });
    // The log names the key; key material stays in the audit table.
    expect(test.logs.join('\n')).not.toContain(newKey.publicJwk.x!);
  });

  it('revokes at once: the next submission signed with the key is refused', async () => {
    expect((await call('post', '/administrations/EU/keys', { jwk: thirdKey.publicJwk })).status).toBe(201);
    expect((await submitSignedList(test.http, newKey)).status).toBe(202);
    const revoked = await call('post', `/administrations/EU/keys/${newKey.kid}/revoke`, { reason: 'private key exposed in an incident' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ kid: newKey.kid, state: 'revoked', revocationReason: 'private key exposed in an incident' });

    const refused = await submitSignedList(test.http, newKey);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ type: problem('inactive-key') });
    expect((await submitSignedList(test.http, thirdKey)).status).toBe(202);
    expect(await keyStates()).toEqual({ [oldKey.kid]: 'expired', [newKey.kid]: 'revoked', [thirdKey.kid]: 'active' });
    const last = (await audit()).at(-1)!;
    expect(last).toMatchObject({ action: 'partner-key.revoke', kid: newKey.kid, reason: 'private key exposed in an incident', before: { state: 'active' }, after: { state: 'revoked' } });
  });

  it('refuses changes that do not fit the key\'s state, and unknown keys', async () => {
    const future = new Date(clock.now().getTime() + 60 * MINUTE).toISOString();
    const cases: { path: string; body: object; status: number; code: string }[] = [
      { path: `/administrations/EU/keys/${newKey.kid}/revoke`, body: { reason: 'again' }, status: 409, code: 'invalid-state-transition' },
      { path: `/administrations/EU/keys/${newKey.kid}/retire`, body: { notAfter: future }, status: 409, code: 'invalid-state-transition' },
      { path: `/administrations/EU/keys/${oldKey.kid}/retire`, body: { notAfter: future }, status: 409, code: 'invalid-state-transition' },
      { path: `/administrations/EU/keys/${thirdKey.kid}/retire`, body: { notAfter: '2020-01-01T00:00:00Z' }, status: 400, code: 'invalid-request' },
      { path: `/administrations/EU/keys/${thirdKey.kid}/retire`, body: {}, status: 400, code: 'invalid-request' },
      { path: `/administrations/EU/keys/${thirdKey.kid}/revoke`, body: {}, status: 400, code: 'invalid-request' },
      { path: `/administrations/EU/keys/${thirdKey.kid}/revoke`, body: { reason: '   ' }, status: 400, code: 'invalid-request' },
      { path: '/administrations/EU/keys/no-such-kid/retire', body: { notAfter: future }, status: 404, code: 'partner-key-not-found' },
      { path: '/administrations/EU/keys/no-such-kid/revoke', body: { reason: 'x' }, status: 404, code: 'partner-key-not-found' },
      { path: `/administrations/JP/keys/${thirdKey.kid}/revoke`, body: { reason: 'wrong administration' }, status: 404, code: 'partner-key-not-found' },
      { path: `/administrations/XX/keys/${thirdKey.kid}/revoke`, body: { reason: 'x' }, status: 404, code: 'unknown-administration' },
    ];
    const before = (await audit()).length;
    for (const { path, body, status, code } of cases) {
      const response = await call('post', path, body);
      expect({ path, status: response.status, type: (response.body as { type: string }).type }).toEqual({ path, status, type: problem(code) });
    }
    expect((await submitSignedList(test.http, thirdKey)).status).toBe(202);
    expect(await audit()).toHaveLength(before);
  });

  it('holds a key added with a future notBefore as pending until then', async () => {
    const notBefore = new Date(clock.now().getTime() + 60 * MINUTE).toISOString();
    const added = await call('post', '/administrations/EU/keys', { jwk: laterKey.publicJwk, notBefore });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ state: 'pending', notBefore });
    const early = await submitSignedList(test.http, laterKey);
    expect(early.status).toBe(401);
    expect(early.body).toMatchObject({ type: problem('inactive-key') });
    clock.advance(60 * MINUTE);
    expect((await submitSignedList(test.http, laterKey)).status).toBe(202);
  });

  it('keeps every key state, the audit trail and the used token ids across a restart on the same DATA_DIR', async () => {
    const usedToken = await adminToken(admin, { now: clock.now() });
    expect((await test.http.get('/admin/v1/audit').set('Authorization', `Bearer ${usedToken}`)).status).toBe(200);
    const auditBefore = await audit();
    await test.stop();
    test = await startTestGateway({ reuse: test, options: { clock } });

    expect(await keyStates()).toEqual({ [oldKey.kid]: 'expired', [newKey.kid]: 'revoked', [thirdKey.kid]: 'active', [laterKey.kid]: 'active' });
    for (const [key, status] of [
      [oldKey, 401],
      [newKey, 401],
      [thirdKey, 202],
      [laterKey, 202],
    ] as const) {
      expect((await submitSignedList(test.http, key)).status, key.kid).toBe(status);
    }
    expect(await audit()).toEqual(auditBefore);
    const replay = await test.http.get('/admin/v1/audit').set('Authorization', `Bearer ${usedToken}`);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ type: problem('unauthorized') });
  });
});

describe('retiring a key that already has an end, or is not in use yet', () => {
  const clock = new TestClock();
  let admin: AdminSigningKey;
  let inUse: PartnerSigningKey;
  let scheduled: PartnerSigningKey;
  let test: TestGateway;

  beforeAll(async () => {
    admin = await createAdminKey();
    [inUse, scheduled] = await Promise.all([createPartnerKey('EU'), createPartnerKey('EU')]);
    test = await startTestGateway({ keys: [inUse], adminKeys: [admin.publicJwk], options: { clock } });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  const call = (method: 'get' | 'post', path: string, body?: object) => adminCall(test.http, admin, method, path, body, { now: clock.now() });
  const at = (minutes: number) => new Date(clock.now().getTime() + minutes * MINUTE).toISOString();
  const keyOf = async (kid: string) => ((await call('get', '/administrations/EU/keys')).body as { keys: KeyView[] }).keys.find((k) => k.kid === kid)!;
  const retire = (kid: string, notAfter: string) => call('post', `/administrations/EU/keys/${kid}/retire`, { notAfter });
  const retirements = async () => ((await call('get', '/audit')).body as { entries: AuditEntryBody[] }).entries.filter((e) => e.action === 'partner-key.retire');

  let first: string;

  it('never moves the end of a retiring key later: the same or a later notAfter is 409, and nothing changes', async () => {
    first = at(30);
    expect((await retire(inUse.kid, first)).status).toBe(200);
    for (const notAfter of [at(60), first]) {
      const response = await retire(inUse.kid, notAfter);
      expect({ notAfter, status: response.status, type: (response.body as { type: string }).type }).toEqual({ notAfter, status: 409, type: problem('invalid-state-transition') });
      expect((response.body as { detail: string }).detail).toContain(first);
    }
    expect(await keyOf(inUse.kid)).toMatchObject({ state: 'retiring', notAfter: first });
    expect(await retirements()).toHaveLength(1);
  });

  it('brings the end of a retiring key earlier, still in the future', async () => {
    const sooner = at(10);
    const response = await retire(inUse.kid, sooner);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ state: 'retiring', notAfter: sooner });
    const entry = (await retirements()).at(-1)!;
    expect(entry.before).toMatchObject({ state: 'retiring', notAfter: first });
    expect(entry.after).toMatchObject({ state: 'retiring', notAfter: sooner });
    expect((await retire(inUse.kid, '2020-01-01T00:00:00Z')).status).toBe(400);
    expect((await submitSignedList(test.http, inUse)).status).toBe(202);
  });

  it('refuses to retire a pending key (not in use yet) with 409, leaving its window as it is', async () => {
    const notBefore = at(60);
    expect((await call('post', '/administrations/EU/keys', { jwk: scheduled.publicJwk, notBefore })).status).toBe(201);
    const before = (await retirements()).length;
    for (const notAfter of [at(120), at(30)]) {
      const response = await retire(scheduled.kid, notAfter);
      expect({ notAfter, status: response.status, type: (response.body as { type: string }).type }).toEqual({ notAfter, status: 409, type: problem('invalid-state-transition') });
      expect((response.body as { detail: string }).detail).toMatch(/pending/);
    }
    expect(await keyOf(scheduled.kid)).toMatchObject({ state: 'pending', notBefore, notAfter: null });
    expect(await retirements()).toHaveLength(before);

    // Once it is in use, it can be retired like any other key.
    clock.advance(61 * MINUTE);
    const end = at(30);
    expect((await retire(scheduled.kid, end)).status).toBe(200);
    expect(await keyOf(scheduled.kid)).toMatchObject({ state: 'retiring', notAfter: end });
  });
});
