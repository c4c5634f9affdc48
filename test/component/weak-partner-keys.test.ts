import { importJWK, jwtVerify } from 'jose';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUDIENCE } from '../../src/admin/admin-token-format.js';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';
import { startGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logging/logger.js';
import { adminCall, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { memberOf } from '../support/administration-members.js';
import { BROKER_URL } from '../support/broker.js';
import { handmadeCompact, MEMBER_LIST_TYP, signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { disposeTestGateway, startTestGateway, type TestGateway, embeddedDb } from '../support/test-gateway.js';
import { ed25519IdentityJwk, identityKeySignature, weakKeyCases } from '../support/weak-keys.js';

const problem = (code: string) => `urn:mra-gateway:problem:${code}`;
const REPO_CONFIG = path.resolve(import.meta.dirname, '../../config');

interface KeyView {
  kid: string;
  state: string;
}

type LogLine = Record<string, unknown> & { level: string; message: string };
const logLines = (test: TestGateway) => test.logs.map((line) => JSON.parse(line) as LogLine);

/** Inserts a partner key row as an older version could have stored it, past every check. */
function insertKeyRow(test: TestGateway, administration: string, kid: string, jwk: object): void {
  embeddedDb(test.gateway)
    .prepare('INSERT INTO partner_keys (administration, kid, jwk, not_before, not_after, revoked_at, revocation_reason, added_at) VALUES (?, ?, ?, NULL, NULL, NULL, NULL, ?)')
    .run(administration, kid, JSON.stringify(jwk), Date.now());
}

/** Starts a gateway on this CONFIG_DIR content and returns what start-up threw (the gateway is closed if it started). */
async function startUpError(files: Record<string, string>): Promise<unknown> {
  const root = mkdtempSync(path.join(tmpdir(), 'mra-gateway-weak-keys-'));
  try {
    const configDir = path.join(root, 'config');
    mkdirSync(path.join(configDir, 'partner-keys'), { recursive: true });
    writeFileSync(path.join(configDir, 'mras.json'), readFileSync(path.join(REPO_CONFIG, 'mras.json')));
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(configDir, name), content);
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', AMQP_URL: BROKER_URL, CONFIG_DIR: configDir, DATA_DIR: path.join(root, 'data') });
    try {
      const gateway = await startGateway(config, { logger: createLogger('error') });
      await gateway.close();
      return undefined;
    } catch (error) {
      return error;
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('keys that let anyone sign, registered through the admin API', () => {
  let admin: AdminSigningKey;
  let euKey: PartnerSigningKey;
  let test: TestGateway;

  beforeAll(async () => {
    admin = await createAdminKey();
    euKey = await createPartnerKey('EU', { alg: 'EdDSA' });
    test = await startTestGateway({ keys: [euKey], adminKeys: [admin.publicJwk] });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  it('refuses every weak or degenerate key, and every unsafe kid, with 400 invalid-partner-key, and stores nothing', async () => {
    for (const { name, jwk } of weakKeyCases('eu-weak')) {
      const response = await adminCall(test.http, admin, 'post', '/administrations/EU/keys', { jwk });
      expect({ name, status: response.status, type: (response.body as { type: string }).type }).toEqual({ name, status: 400, type: problem('invalid-partner-key') });
    }
    const keys = (await adminCall(test.http, admin, 'get', '/administrations/EU/keys')).body as { keys: KeyView[] };
    expect(keys.keys.map((k) => k.kid)).toEqual([euKey.kid]);
    expect(((await adminCall(test.http, admin, 'get', '/audit')).body as { entries: unknown[] }).entries).toEqual([]);
  });

  it('refuses a kid another administration holds with 409 kid-in-use, and keeps 400 duplicate-kid within one administration', async () => {
    const jpKey = await createPartnerKey('JP', { kid: euKey.kid });
    const taken = await adminCall(test.http, admin, 'post', '/administrations/JP/keys', { jwk: jpKey.publicJwk });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ type: problem('kid-in-use') });
    const again = await adminCall(test.http, admin, 'post', '/administrations/EU/keys', { jwk: { ...jpKey.publicJwk } });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ type: problem('duplicate-kid') });
    expect(((await adminCall(test.http, admin, 'get', '/administrations/JP/keys')).body as { keys: KeyView[] }).keys).toEqual([]);
    // The JP key under a kid of its own is fine.
    expect((await adminCall(test.http, admin, 'post', '/administrations/JP/keys', { jwk: { ...jpKey.publicJwk, kid: `${euKey.kid}-jp` } })).status).toBe(201);
  });
});

describe('keys that let anyone sign, in the start-up files', () => {
  it('stops start-up on a weak or degenerate bootstrap partner key, naming the file and key', async () => {
    const sound = (await createPartnerKey('EU')).publicJwk;
    for (const { name, jwk } of weakKeyCases('eu-file')) {
      const error = await startUpError({ 'partner-keys/EU.json': JSON.stringify({ keys: [sound, jwk] }) });
      expect(error, name).toBeInstanceOf(ConfigError);
      expect({ name, field: (error as ConfigError).field }).toEqual({ name, field: 'CONFIG_DIR/partner-keys/EU.json/keys/1' });
    }
  });

  it('stops start-up on a kid repeated across bootstrap files, naming the second', async () => {
    const [eu, jp] = await Promise.all([createPartnerKey('EU', { kid: 'shared' }), createPartnerKey('JP', { kid: 'shared' })]);
    const error = await startUpError({ 'partner-keys/EU.json': JSON.stringify({ keys: [eu.publicJwk] }), 'partner-keys/JP.json': JSON.stringify({ keys: [jp.publicJwk] }) });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ field: 'CONFIG_DIR/partner-keys/JP.json/keys/0/kid' });
  });

  it('stops start-up on a weak or degenerate administrator key, naming it', async () => {
    const sound = (await createAdminKey()).publicJwk;
    for (const { name, jwk } of weakKeyCases('admin-file')) {
      const error = await startUpError({ 'admin-keys.json': JSON.stringify({ keys: [sound, jwk] }) });
      expect(error, name).toBeInstanceOf(ConfigError);
      expect({ name, field: (error as ConfigError).field }).toEqual({ name, field: 'CONFIG_DIR/admin-keys.json/keys/1' });
    }
  });

  it('never runs with an identity-point administrator key, for which anyone can forge a token', async () => {
    const jwk = ed25519IdentityJwk('mallory-admin');
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const iat = Math.floor(Date.now() / 1000);
    const forged = `${part({ alg: 'EdDSA', kid: jwk.kid, typ: 'JWT' })}.${part({ sub: 'mallory', aud: ADMIN_AUDIENCE, iat, exp: iat + 60, jti: 'forged' })}.${identityKeySignature().toString('base64url')}`;
    // The premise: with that key a token made without any private key verifies (jose, node:crypto).
    await expect(jwtVerify(forged, await importJWK(jwk, 'EdDSA'), { audience: ADMIN_AUDIENCE })).resolves.toMatchObject({ payload: { sub: 'mallory' } });
    // So the gateway does not start with it, and the token has no gateway to be used on.
    const error = await startUpError({ 'admin-keys.json': JSON.stringify({ keys: [jwk] }) });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ field: 'CONFIG_DIR/admin-keys.json/keys/0' });
  });
});

describe('an identity-point key an older version let into the store', () => {
  const identity = ed25519IdentityJwk('eu-identity');
  const jpIdentity = ed25519IdentityJwk('jp-identity');
  let admin: AdminSigningKey;
  let euKey: PartnerSigningKey;
  let test: TestGateway;

  beforeAll(async () => {
    admin = await createAdminKey();
    euKey = await createPartnerKey('EU');
    const first = await startTestGateway({ keys: [euKey], adminKeys: [admin.publicJwk] });
    insertKeyRow(first, 'EU', identity.kid, identity);
    insertKeyRow(first, 'JP', jpIdentity.kid, jpIdentity);
    await first.stop();
    test = await startTestGateway({ reuse: first });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  const forgedList = (kid: string, administration: string) =>
    handmadeCompact({ alg: 'EdDSA', kid, typ: MEMBER_LIST_TYP }, memberList(administration === 'EU' ? [euMember()] : [memberOf('JP', 1)], { administration }), identityKeySignature());

  it('logs each unsafe key at start-up at error level: administration, kid, reason, and no key material', () => {
    const lines = logLines(test).filter((line) => line.level === 'error' && typeof line.reason === 'string' && 'kid' in line);
    expect(lines.map((line) => [line.administration, line.kid])).toEqual([
      ['EU', identity.kid],
      ['JP', jpIdentity.kid],
    ]);
    expect(lines[0]!.reason).toMatch(/identity/);
    expect(test.logs.join('\n')).not.toContain(identity.x);
  });

  it('refuses a "signature" made without any private key with 401 inactive-key, storing and publishing nothing', async () => {
    for (const [kid, administration] of [
      [identity.kid, 'EU'],
      [jpIdentity.kid, 'JP'],
    ] as const) {
      const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(forgedList(kid, administration));
      expect({ kid, status: response.status, type: (response.body as { type: string }).type }).toEqual({ kid, status: 401, type: problem('inactive-key') });
    }
    expect(test.counts()).toEqual({ messages: 0, outbox: 0, members: 0, unpublished: 0 });
    // The administration's sound key works as before.
    expect((await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList([euMember()]), euKey))).status).toBe(202);
  });

  it('shows the unsafe keys in the metrics, and leaves them out of the key expiry horizon', async () => {
    const samples = parsePrometheusText((await test.http.get('/metrics')).text);
    expect(sampleValue(samples, 'mra_partner_keys_unsafe', { administration: 'EU' })).toBe(1);
    expect(sampleValue(samples, 'mra_partner_keys_unsafe', { administration: 'JP' })).toBe(1);
    expect(sampleValue(samples, 'mra_partner_key_expiry_horizon_seconds', { administration: 'EU' })).toBe(Infinity);
    expect(sampleValue(samples, 'mra_partner_key_expiry_horizon_seconds', { administration: 'JP' })).toBe(0);
  });

  it('lists the key as unsafe in the admin API; it cannot be retired, only revoked, which clears the metric', async () => {
    const states = async () => Object.fromEntries(((await adminCall(test.http, admin, 'get', '/administrations/EU/keys')).body as { keys: KeyView[] }).keys.map((k) => [k.kid, k.state]));
    expect(await states()).toEqual({ [euKey.kid]: 'active', [identity.kid]: 'unsafe' });
    const retire = await adminCall(test.http, admin, 'post', `/administrations/EU/keys/${identity.kid}/retire`, { notAfter: new Date(Date.now() + 86_400_000).toISOString() });
    expect(retire.status).toBe(409);
    expect(retire.body).toMatchObject({ type: problem('invalid-state-transition') });
    expect((await adminCall(test.http, admin, 'post', `/administrations/EU/keys/${identity.kid}/revoke`, { reason: 'identity point: anyone could sign' })).status).toBe(200);
    expect(await states()).toEqual({ [euKey.kid]: 'active', [identity.kid]: 'revoked' });
    const samples = parsePrometheusText((await test.http.get('/metrics')).text);
    expect(sampleValue(samples, 'mra_partner_keys_unsafe', { administration: 'EU' })).toBe(0);
  });
});

describe('one kid registered for two administrations by an older version', () => {
  let euKey: PartnerSigningKey;
  let jpKey: PartnerSigningKey;
  let admin: AdminSigningKey;
  let test: TestGateway;

  beforeAll(async () => {
    admin = await createAdminKey();
    euKey = await createPartnerKey('EU', { kid: 'shared-kid' });
    jpKey = await createPartnerKey('JP', { kid: 'shared-kid' });
    const first = await startTestGateway({ keys: [euKey], adminKeys: [admin.publicJwk] });
    insertKeyRow(first, 'JP', jpKey.kid, jpKey.publicJwk);
    await first.stop();
    test = await startTestGateway({ reuse: first });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  const post = (jws: string) => test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(jws);

  it('reports the shared kid at start-up at error level, with the administrations', () => {
    const lines = logLines(test).filter((line) => line.level === 'error' && Array.isArray(line.administrations));
    expect(lines.map((line) => [line.kid, line.administrations])).toEqual([['shared-kid', ['EU', 'JP']]]);
  });

  it('never confuses the two: the key that verifies names the sender', async () => {
    const eu = await post(await signCompact(memberList([euMember()]), euKey));
    expect(eu.status).toBe(202);
    expect(eu.body).toMatchObject({ administration: 'EU' });
    const jp = await post(await signCompact(memberList([memberOf('JP', 1)], { administration: 'JP' }), jpKey));
    expect(jp.status).toBe(202);
    expect(jp.body).toMatchObject({ administration: 'JP' });

    const euForJp = await post(await signCompact(memberList([memberOf('JP', 2)], { administration: 'JP' }), euKey));
    expect(euForJp.status).toBe(403);
    expect(euForJp.body).toMatchObject({ type: problem('administration-mismatch') });
    const jpForEu = await post(await signCompact(memberList([euMember({ memberId: 'DE9999999999999' })]), jpKey));
    expect(jpForEu.status).toBe(403);
    expect(jpForEu.body).toMatchObject({ type: problem('administration-mismatch') });
    expect(test.counts().messages).toBe(2);
  });

  it('lets no third administration take the kid', async () => {
    const ca = await createPartnerKey('CA', { kid: 'shared-kid' });
    const response = await adminCall(test.http, admin, 'post', '/administrations/CA/keys', { jwk: ca.publicJwk });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ type: problem('kid-in-use') });
  });
});
