import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';
import { startGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logging/logger.js';
import { adminCall, adminToken, createAdminKey, hmacToken, unsecuredToken, type AdminSigningKey } from '../support/admin-tokens.js';
import { BROKER_URL, deleteTopology } from '../support/broker.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { submitSignedList } from '../support/submissions.js';
import { removeTestFiles, startTestGateway, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

const UNAUTHORIZED = 'urn:mra-gateway:problem:unauthorized';
const FORBIDDEN = 'urn:mra-gateway:problem:forbidden';

interface LogLine {
  level: string;
  message: string;
  requestId?: string;
  reason?: string;
  kid?: string;
}

function linesOf(test: TestGateway): LogLine[] {
  return test.logs.map((line) => JSON.parse(line) as LogLine);
}

describe('every admin endpoint refuses bad admin tokens', () => {
  let admin: AdminSigningKey;
  let euKey: PartnerSigningKey;
  let test: TestGateway;
  const tokensSent: string[] = [];

  beforeAll(async () => {
    admin = await createAdminKey();
    euKey = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [euKey], adminKeys: [admin.publicJwk] });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  /** Each admin endpoint with a body that would change something if the token were accepted. */
  const endpoints = (): { method: 'get' | 'post' | 'patch'; path: string; body?: object }[] => [
    { method: 'get', path: '/administrations' },
    { method: 'get', path: '/administrations/EU' },
    { method: 'patch', path: '/administrations/EU', body: { status: 'suspended', reason: 'should never happen' } },
    { method: 'get', path: '/administrations/EU/keys' },
    { method: 'post', path: '/administrations/EU/keys', body: { jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'never' } } },
    { method: 'post', path: `/administrations/EU/keys/${euKey.kid}/retire`, body: { notAfter: new Date(Date.now() + 3_600_000).toISOString() } },
    { method: 'post', path: `/administrations/EU/keys/${euKey.kid}/revoke`, body: { reason: 'should never happen' } },
    { method: 'get', path: '/receipt-keys' },
    { method: 'post', path: '/receipt-keys/rotate' },
    { method: 'post', path: '/receipt-keys/some-kid/retire' },
    { method: 'get', path: '/audit' },
    { method: 'get', path: '/no-such-admin-resource' },
  ];

  const now = () => Math.floor(Date.now() / 1000);

  /** Bad credentials: the Authorization header to send (undefined: none) and the reason the gateway logs. */
  const badTokens: { name: string; reason: string; authorization: () => Promise<string | undefined> }[] = [
    { name: 'no Authorization header', reason: 'missing-token', authorization: async () => undefined },
    { name: 'Basic instead of Bearer', reason: 'missing-token', authorization: async () => 'Basic YWRtaW46YWRtaW4=' },
    { name: 'a bearer value that is not a JWT', reason: 'malformed-token', authorization: async () => 'Bearer not-a-jwt' },
    { name: 'expired', reason: 'expired', authorization: async () => `Bearer ${await adminToken(admin, { claims: { iat: now() - 400, exp: now() - 100 } })}` },
    { name: 'wrong audience', reason: 'wrong-audience', authorization: async () => `Bearer ${await adminToken(admin, { claims: { aud: 'mra-gateway' } })}` },
    { name: 'no audience', reason: 'missing-claim', authorization: async () => `Bearer ${await adminToken(admin, { claims: { aud: undefined } })}` },
    { name: 'wrong key: a kid not in admin-keys.json', reason: 'unknown-key', authorization: async () => `Bearer ${await adminToken(await createAdminKey())}` },
    {
      name: 'wrong key: the configured kid, signed by another key',
      reason: 'bad-signature',
      authorization: async () => `Bearer ${await adminToken(await createAdminKey({ kid: admin.kid }))}`,
    },
    {
      name: 'wrong key: the configured kid, an algorithm that does not fit its key',
      reason: 'disallowed-algorithm',
      authorization: async () => `Bearer ${await adminToken(await createAdminKey({ kid: admin.kid, alg: 'ES384' }))}`,
    },
    { name: 'HMAC (HS256) with the configured kid', reason: 'disallowed-algorithm', authorization: async () => `Bearer ${await hmacToken(admin.kid)}` },
    { name: 'unsecured (alg none) with the configured kid', reason: 'disallowed-algorithm', authorization: async () => `Bearer ${unsecuredToken(admin.kid)}` },
    { name: 'lifetime over 5 minutes', reason: 'lifetime-too-long', authorization: async () => `Bearer ${await adminToken(admin, { claims: { exp: now() + 301 } })}` },
    { name: 'iat in the future', reason: 'not-yet-valid', authorization: async () => `Bearer ${await adminToken(admin, { claims: { iat: now() + 120, exp: now() + 180 } })}` },
    { name: 'no exp', reason: 'missing-claim', authorization: async () => `Bearer ${await adminToken(admin, { claims: { exp: undefined } })}` },
    { name: 'no iat', reason: 'missing-claim', authorization: async () => `Bearer ${await adminToken(admin, { claims: { iat: undefined } })}` },
    { name: 'no jti', reason: 'missing-claim', authorization: async () => `Bearer ${await adminToken(admin, { claims: { jti: undefined } })}` },
    { name: 'no sub', reason: 'missing-claim', authorization: async () => `Bearer ${await adminToken(admin, { claims: { sub: undefined } })}` },
    { name: 'a jti that is not a string', reason: 'invalid-claim', authorization: async () => `Bearer ${await adminToken(admin, { claims: { jti: 42 } })}` },
    {
      name: 'replayed (already used once)',
      reason: 'replayed',
      authorization: async () => {
        const token = await adminToken(admin);
        const first = await test.http.get('/admin/v1/administrations').set('Authorization', `Bearer ${token}`);
        expect(first.status).toBe(200);
        return `Bearer ${token}`;
      },
    },
  ];

  let counter = 0;
  for (const bad of badTokens) {
    it(`refuses a token with ${bad.name}: 401 unauthorized on every endpoint, reason logged`, async () => {
      for (const endpoint of endpoints()) {
        const authorization = await bad.authorization();
        if (authorization?.startsWith('Bearer ')) tokensSent.push(authorization.slice('Bearer '.length));
        const requestId = `bad-token-${++counter}`;
        let request = test.http[endpoint.method](`/admin/v1${endpoint.path}`).set('X-Request-Id', requestId);
        if (authorization !== undefined) request = request.set('Authorization', authorization);
        const response = endpoint.body ? await request.send(endpoint.body) : await request;

        expect({ endpoint: `${endpoint.method} ${endpoint.path}`, status: response.status }).toEqual({ endpoint: `${endpoint.method} ${endpoint.path}`, status: 401 });
        expect(response.body).toMatchObject({ type: UNAUTHORIZED, status: 401 });
        expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
        const failure = linesOf(test).find((l) => l.requestId === requestId && l.message === 'admin authentication failed');
        expect(failure, `${endpoint.method} ${endpoint.path}`).toMatchObject({ level: 'warn', reason: bad.reason });
      }
    });
  }

  it('changed nothing through all those refused calls, and never logged a token', async () => {
    const audit = await adminCall(test.http, admin, 'get', '/audit');
    expect(audit.status).toBe(200);
    expect(audit.body).toEqual({ entries: [], next: null });
    const eu = await adminCall(test.http, admin, 'get', '/administrations/EU');
    expect(eu.body).toMatchObject({ status: 'active', statusChange: null });
    const keys = await adminCall(test.http, admin, 'get', '/administrations/EU/keys');
    expect((keys.body as { keys: { kid: string; state: string }[] }).keys).toEqual([expect.objectContaining({ kid: euKey.kid, state: 'active' })]);
    const receiptKeys = await adminCall(test.http, admin, 'get', '/receipt-keys');
    expect((receiptKeys.body as { keys: unknown[] }).keys).toHaveLength(1);

    expect(tokensSent.length).toBeGreaterThan(100);
    const everything = test.logs.join('\n');
    for (const token of tokensSent) {
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(token.split('.')[2] || token);
    }
  });

  it('accepts a good token once, and says who called on the access log line', async () => {
    const token = await adminToken(admin, { claims: { sub: 'alice@cbp.example' } });
    const response = await test.http.get('/admin/v1/administrations').set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'good-token');
    expect(response.status).toBe(200);
    expect((response.body as { administrations: unknown[] }).administrations).toHaveLength(18);
    const access = test.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === 'good-token' && l.message === 'request');
    expect(access).toMatchObject({ status: 200, admin: { kid: admin.kid, sub: 'alice@cbp.example' } });
    const again = await test.http.get('/admin/v1/administrations').set('Authorization', `Bearer ${token}`);
    expect(again.status).toBe(401);
  });
});

describe('admin roles', () => {
  let auditor: AdminSigningKey;
  let keyKeeper: AdminSigningKey;
  let euKey: PartnerSigningKey;
  let test: TestGateway;

  beforeAll(async () => {
    auditor = await createAdminKey({ roles: ['audit'] });
    keyKeeper = await createAdminKey({ roles: ['keys'] });
    euKey = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [euKey], adminKeys: [auditor.publicJwk, keyKeeper.publicJwk] });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  const cases: { method: 'get' | 'post' | 'patch'; path: string; body?: object; role: string }[] = [
    { method: 'get', path: '/administrations', role: 'arrangements' },
    { method: 'patch', path: '/administrations/EU', body: { status: 'suspended', reason: 'test' }, role: 'arrangements' },
    { method: 'get', path: '/administrations/EU/keys', role: 'keys' },
    { method: 'post', path: '/receipt-keys/rotate', role: 'receipt-keys' },
    { method: 'get', path: '/receipt-keys', role: 'receipt-keys' },
    { method: 'get', path: '/audit', role: 'audit' },
  ];

  it('serves every read to any admin role, and answers 403 forbidden to a change the key lacks the role for', async () => {
    for (const { method, path: route, body, role } of cases) {
      for (const [key, roles] of [
        [auditor, ['audit']],
        [keyKeeper, ['keys']],
      ] as const) {
        const response = await adminCall(test.http, key, method, route, body);
        if (method === 'get' || (roles as readonly string[]).includes(role)) {
          expect(response.status, `${key.kid} ${method} ${route}`).toBe(200);
        } else {
          expect(response.status, `${key.kid} ${method} ${route}`).toBe(403);
          expect(response.body).toMatchObject({ type: FORBIDDEN });
        }
      }
    }
    // The refused suspension and rotation did not happen.
    const audit = await adminCall(test.http, auditor, 'get', '/audit');
    expect(audit.body).toEqual({ entries: [], next: null });
    expect((await submitSignedList(test.http, euKey)).status).toBe(202);
  });
});

describe('admin-keys.json at start-up', () => {
  it('without the file the gateway starts, warns, and refuses every admin call', async () => {
    const admin = await createAdminKey();
    const test = await startTestGateway();
    try {
      expect(linesOf(test).some((l) => l.level === 'warn' && l.message.includes('admin-keys.json does not exist'))).toBe(true);
      const response = await adminCall(test.http, admin, 'get', '/administrations');
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ type: UNAUTHORIZED });
      expect(linesOf(test).some((l) => l.message === 'admin authentication failed' && l.reason === 'no-admin-keys')).toBe(true);
    } finally {
      await test.stop();
      await deleteTopology(test.topology);
      removeTestFiles(test);
    }
  });

  it('with a malformed file the gateway does not start, and the error names the field', async () => {
    const admin = await createAdminKey();
    const cases: { content: string; field: string }[] = [
      { content: '{ "keys": [', field: 'CONFIG_DIR/admin-keys.json' },
      { content: JSON.stringify({ keys: 'none' }), field: 'CONFIG_DIR/admin-keys.json' },
      { content: JSON.stringify({ keys: [{ ...admin.privateJwk }] }), field: 'CONFIG_DIR/admin-keys.json/keys/0' },
      { content: JSON.stringify({ keys: [admin.publicJwk, { ...admin.publicJwk, kid: undefined }] }), field: 'CONFIG_DIR/admin-keys.json/keys/1' },
      { content: JSON.stringify({ keys: [admin.publicJwk, admin.publicJwk] }), field: 'CONFIG_DIR/admin-keys.json/keys/1/kid' },
      { content: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'shared' }] }), field: 'CONFIG_DIR/admin-keys.json/keys/0' },
      { content: JSON.stringify({ keys: [{ ...admin.publicJwk, roles: ['root'] }] }), field: 'CONFIG_DIR/admin-keys.json/keys/0/roles' },
    ];
    for (const { content, field } of cases) {
      const root = mkdtempSync(path.join(tmpdir(), 'mra-gateway-admin-keys-'));
      try {
        const configDir = path.join(root, 'config');
        mkdirSync(configDir);
        writeFileSync(path.join(configDir, 'mras.json'), readFileSync(path.resolve(import.meta.dirname, '../../config/mras.json')));
        writeFileSync(path.join(configDir, 'admin-keys.json'), content);
        const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', AMQP_URL: BROKER_URL, CONFIG_DIR: configDir, DATA_DIR: path.join(root, 'data') });
        const started = startGateway(config, { logger: createLogger('error') });
        await expect(started, content).rejects.toBeInstanceOf(ConfigError);
        await expect(started).rejects.toMatchObject({ field });
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
  });
});
