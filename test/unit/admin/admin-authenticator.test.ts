import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AdminAuthenticator, type AdminAuthFailure } from '../../../src/admin/admin-authenticator.js';
import { ADMIN_ROLES, type AdminKey } from '../../../src/admin/admin-key.js';
import type { AdminTokenLedger } from '../../../src/admin/admin-store.js';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import { createLogger } from '../../../src/logging/logger.js';
import { adminToken, createAdminKey, hmacToken, unsecuredToken, type AdminSigningKey } from '../../support/admin-tokens.js';

/** The ledger's contract in memory: a (kid, jti) pair is accepted once. */
class MemoryLedger implements AdminTokenLedger {
  readonly used = new Map<string, Date>();
  async useOnce(kid: string, jti: string, keepUntil: Date): Promise<boolean> {
    const id = `${kid} ${jti}`;
    if (this.used.has(id)) return false;
    this.used.set(id, keepUntil);
    return true;
  }
}

const NOW = new Date('2026-03-01T12:00:00Z');
const T = Math.floor(NOW.getTime() / 1000);

function asAdminKey(key: AdminSigningKey, roles = [...ADMIN_ROLES]): AdminKey {
  return { kid: key.kid, jwk: key.publicJwk, roles };
}

// Key generation (RSA especially) is slow: the keys are made once, everything else is fresh per test.
let keys: Promise<{ es: AdminSigningKey; ed: AdminSigningKey; ps: AdminSigningKey }> | undefined;

async function setup() {
  keys ??= Promise.all([createAdminKey({ kid: 'es' }), createAdminKey({ kid: 'ed', alg: 'EdDSA' }), createAdminKey({ kid: 'ps', alg: 'PS256' })]).then(([es, ed, ps]) => ({ es, ed, ps }));
  const { es, ed, ps } = await keys;
  const ledger = new MemoryLedger();
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>));
      done();
    },
  });
  const authenticator = new AdminAuthenticator([asAdminKey(es), asAdminKey(ed), asAdminKey(ps, ['audit'])], ledger, { now: () => NOW }, createLogger('debug', sink));
  return { es, ed, ps, ledger, lines, authenticator };
}

async function refusal(authenticator: AdminAuthenticator, lines: Record<string, unknown>[], authorization: string | undefined): Promise<AdminAuthFailure | 'accepted'> {
  try {
    await authenticator.authenticate(authorization);
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('unauthorized');
    expect((error as GatewayError).status).toBe(401);
    return lines.at(-1)!.reason as AdminAuthFailure;
  }
}

describe('AdminAuthenticator', () => {
  it('accepts tokens of EC, EdDSA and RSA-PSS keys and returns who signed with which roles', async () => {
    const { es, ed, ps, authenticator } = await setup();
    await expect(authenticator.authenticate(`Bearer ${await adminToken(es, { now: NOW, claims: { sub: 'alice' } })}`)).resolves.toEqual({ kid: 'es', sub: 'alice', roles: [...ADMIN_ROLES] });
    await expect(authenticator.authenticate(`Bearer ${await adminToken(ed, { now: NOW })}`)).resolves.toMatchObject({ kid: 'ed' });
    await expect(authenticator.authenticate(`bearer ${await adminToken(ps, { now: NOW })}`)).resolves.toMatchObject({ kid: 'ps', roles: ['audit'] });
  });

  const cases: { name: string; claims?: Record<string, unknown>; header?: Record<string, unknown>; expected: AdminAuthFailure | 'accepted' }[] = [
    { name: 'lifetime exactly 300 s', claims: { iat: T, exp: T + 300 }, expected: 'accepted' },
    { name: 'lifetime 301 s', claims: { iat: T, exp: T + 301 }, expected: 'lifetime-too-long' },
    { name: 'a long lifetime issued long ago', claims: { iat: T - 3600, exp: T + 60 }, expected: 'expired' },
    { name: 'exp 10 s ago (within the 30 s clock tolerance)', claims: { iat: T - 100, exp: T - 10 }, expected: 'accepted' },
    { name: 'exp 31 s ago', claims: { iat: T - 100, exp: T - 31 }, expected: 'expired' },
    { name: 'iat 20 s ahead (clock skew)', claims: { iat: T + 20, exp: T + 80 }, expected: 'accepted' },
    { name: 'iat 60 s ahead', claims: { iat: T + 60, exp: T + 120 }, expected: 'not-yet-valid' },
    { name: 'nbf in the future', claims: { nbf: T + 120 }, expected: 'not-yet-valid' },
    { name: 'aud as an array with the gateway', claims: { aud: ['other', 'mra-gateway-admin'] }, expected: 'accepted' },
    { name: 'aud of another service', claims: { aud: 'https://other.example' }, expected: 'wrong-audience' },
    { name: 'no exp', claims: { exp: undefined }, expected: 'missing-claim' },
    { name: 'no iat', claims: { iat: undefined }, expected: 'missing-claim' },
    { name: 'no jti', claims: { jti: undefined }, expected: 'missing-claim' },
    { name: 'no sub', claims: { sub: undefined }, expected: 'missing-claim' },
    { name: 'an empty sub', claims: { sub: '' }, expected: 'invalid-claim' },
    { name: 'a jti of 257 characters', claims: { jti: 'j'.repeat(257) }, expected: 'invalid-claim' },
    { name: 'no kid', header: { kid: undefined }, expected: 'unknown-key' },
    { name: 'an unknown kid', header: { kid: 'nobody' }, expected: 'unknown-key' },
  ];
  for (const { name, claims, header, expected } of cases) {
    it(`${expected === 'accepted' ? 'accepts' : 'refuses'} a token with ${name}`, async () => {
      const { es, authenticator, lines } = await setup();
      const token = await adminToken(es, { now: NOW, ...(claims ? { claims } : {}), ...(header ? { header } : {}) });
      expect(await refusal(authenticator, lines, `Bearer ${token}`)).toBe(expected);
    });
  }

  it('refuses HMAC, unsecured and mismatched algorithms, and other keys\' signatures', async () => {
    const { es, authenticator, lines } = await setup();
    expect(await refusal(authenticator, lines, `Bearer ${await hmacToken('es', NOW)}`)).toBe('disallowed-algorithm');
    expect(await refusal(authenticator, lines, `Bearer ${unsecuredToken('es', NOW)}`)).toBe('disallowed-algorithm');
    const rs256 = await createAdminKey({ kid: 'ps', alg: 'RS256' });
    expect(await refusal(authenticator, lines, `Bearer ${await adminToken(rs256, { now: NOW })}`)).toBe('disallowed-algorithm');
    const impostor = await createAdminKey({ kid: 'es' });
    expect(await refusal(authenticator, lines, `Bearer ${await adminToken(impostor, { now: NOW })}`)).toBe('bad-signature');
    const tampered = (await adminToken(es, { now: NOW })).split('.');
    tampered[1] = Buffer.from(JSON.stringify({ sub: 'mallory', aud: 'mra-gateway-admin', iat: T, exp: T + 60, jti: 'x' })).toString('base64url');
    expect(await refusal(authenticator, lines, `Bearer ${tampered.join('.')}`)).toBe('bad-signature');
  });

  it('refuses missing and malformed Authorization headers', async () => {
    const { authenticator, lines } = await setup();
    for (const [header, reason] of [
      [undefined, 'missing-token'],
      ['', 'missing-token'],
      ['Bearer', 'missing-token'],
      ['Token abc.def.ghi', 'missing-token'],
      ['Bearer a b', 'missing-token'],
      ['Bearer abc', 'malformed-token'],
      ['Bearer !!!.???.***', 'malformed-token'],
    ] as const) {
      expect(await refusal(authenticator, lines, header), String(header)).toBe(reason);
    }
  });

  it('accepts each jti once per admin key, and logs refusals without the token', async () => {
    const { es, ed, authenticator, lines, ledger } = await setup();
    const token = await adminToken(es, { now: NOW, claims: { jti: 'same-id' } });
    expect(await refusal(authenticator, lines, `Bearer ${token}`)).toBe('accepted');
    expect(await refusal(authenticator, lines, `Bearer ${token}`)).toBe('replayed');
    expect(lines.at(-1)).toMatchObject({ level: 'warn', message: 'admin authentication failed', reason: 'replayed', kid: 'es', sub: 'test-admin' });
    // Another admin's token may carry the same jti: ids are kept per key.
    expect(await refusal(authenticator, lines, `Bearer ${await adminToken(ed, { now: NOW, claims: { jti: 'same-id' } })}`)).toBe('accepted');
    // The id is kept until the token would expire, clock tolerance included.
    expect(ledger.used.get('es same-id')).toEqual(new Date((T + 60 + 30) * 1000));
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it('refuses everything when no admin keys are configured', async () => {
    const es = await createAdminKey();
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const authenticator = new AdminAuthenticator([], new MemoryLedger(), { now: () => NOW }, createLogger('debug', sink));
    expect(await refusal(authenticator, lines, `Bearer ${await adminToken(es, { now: NOW })}`)).toBe('no-admin-keys');
  });
});
