import { SignJWT, type JWTPayload } from 'jose';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ADMIN_AUDIENCE } from '../../../src/admin/admin-token-format.js';
import { ADMIN_ROLES, type AdminKey, type AdminRole } from '../../../src/admin/admin-key.js';
import { loadAdminKeys } from '../../../src/config/admin-key-file.js';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import type { PartnerKey, PartnerKeyDirectory } from '../../../src/domain/partner-key.js';
import { problemTypes } from '../../../src/domain/problem-types.js';
import { createLogger } from '../../../src/logging/logger.js';
import {
  mayRead,
  MemberReaderAuthenticator,
  PARTNER_READER_AUDIENCE,
  type MemberReader,
  type ReaderAuthFailure,
} from '../../../src/register/member-reader-authenticator.js';
import { adminToken, createAdminKey, hmacToken, unsecuredToken, type AdminSigningKey } from '../../support/admin-tokens.js';
import { signCompact } from '../../support/jws.js';
import { euMember, memberList } from '../../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../../support/partner-keys.js';
import { temporaryDirectories } from '../../support/temp-dirs.js';

const START = new Date('2026-03-01T12:00:00Z');
const T = Math.floor(START.getTime() / 1000);
const PARTNER_ALGORITHMS = ['ES256', 'ES384', 'PS256', 'EdDSA'];
const directory = temporaryDirectories('member-reader-');

class MemoryDirectory implements PartnerKeyDirectory {
  readonly keys: PartnerKey[] = [];
  lookups = 0;
  async findByKid(kid: string): Promise<PartnerKey[]> {
    this.lookups++;
    return this.keys.filter((key) => key.kid === kid);
  }
}

function registered(key: PartnerSigningKey, window: Partial<Pick<PartnerKey, 'notBefore' | 'notAfter' | 'revokedAt'>> = {}): PartnerKey {
  return {
    administration: key.administration,
    kid: key.kid,
    jwk: key.publicJwk,
    notBefore: null,
    notAfter: null,
    revokedAt: null,
    revocationReason: window.revokedAt ? 'compromised' : null,
    addedAt: new Date(START.getTime() - 86_400_000),
    ...window,
  };
}

function asAdminKey(key: AdminSigningKey, roles: readonly AdminRole[] = ADMIN_ROLES): AdminKey {
  return { kid: key.kid, jwk: key.publicJwk, roles };
}

/** A partner's reader token: typ JWT, aud mra-gateway-members, iat now, exp in a minute, with what a test changes. */
async function partnerToken(
  key: PartnerSigningKey,
  options: { now?: Date; claims?: Record<string, unknown>; header?: Record<string, unknown>; signWith?: PartnerSigningKey } = {},
): Promise<string> {
  const iat = Math.floor((options.now ?? START).getTime() / 1000);
  const claims = { aud: PARTNER_READER_AUDIENCE, iat, exp: iat + 60, ...options.claims };
  const payload = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined)) as JWTPayload;
  const header = Object.fromEntries(Object.entries({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header }).filter(([, v]) => v !== undefined));
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign((options.signWith ?? key).privateKey);
}

// Key generation is slow: the keys are made once, everything else is fresh per test.
let keys:
  | Promise<{
      cbp: AdminSigningKey;
      auditor: AdminSigningKey;
      impostor: AdminSigningKey;
      eu: PartnerSigningKey;
      euOther: PartnerSigningKey;
      jp: PartnerSigningKey;
      es512: PartnerSigningKey;
      revoked: PartnerSigningKey;
      expired: PartnerSigningKey;
      pending: PartnerSigningKey;
    }>
  | undefined;

async function setup() {
  keys ??= (async () => {
    const [cbp, auditor, impostor] = await Promise.all([createAdminKey({ kid: 'cbp-reader' }), createAdminKey({ kid: 'auditor', roles: ['audit'] }), createAdminKey({ kid: 'cbp-reader' })]);
    const [eu, euOther, jp, es512, revoked, expired, pending] = await Promise.all([
      createPartnerKey('EU', { kid: 'eu-2026' }),
      createPartnerKey('EU', { kid: 'eu-2026' }),
      createPartnerKey('JP', { kid: 'jp-2026', alg: 'EdDSA' }),
      createPartnerKey('EU', { kid: 'eu-es512', alg: 'ES512' }),
      createPartnerKey('EU', { kid: 'eu-revoked' }),
      createPartnerKey('EU', { kid: 'eu-expired' }),
      createPartnerKey('EU', { kid: 'eu-pending' }),
    ]);
    return { cbp, auditor, impostor, eu, euOther, jp, es512, revoked, expired, pending };
  })();
  const k = await keys;
  const partnerKeys = new MemoryDirectory();
  partnerKeys.keys.push(
    registered(k.eu),
    registered(k.jp),
    registered(k.es512),
    registered(k.revoked, { revokedAt: new Date(START.getTime() - 1000) }),
    registered(k.expired, { notAfter: new Date(START.getTime() - 1000) }),
    registered(k.pending, { notBefore: new Date(START.getTime() + 3_600_000) }),
  );
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>));
      done();
    },
  });
  let now = START;
  const clock = {
    now: () => now,
    set: (date: Date) => {
      now = date;
    },
  };
  const authenticator = new MemberReaderAuthenticator({
    adminKeys: [asAdminKey(k.cbp, ['members:read']), asAdminKey(k.auditor, ['audit'])],
    partnerKeys,
    partnerAlgorithms: PARTNER_ALGORITHMS,
    clock,
    logger: createLogger('debug', sink),
  });

  /** The 401's logged reason, after checking the problem, its detail and the log line keep the token out. */
  async function refusal(authorization: string | undefined): Promise<ReaderAuthFailure | 'accepted'> {
    let reader: MemberReader;
    try {
      reader = await authenticator.authenticate(authorization);
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      const problem = error as GatewayError;
      expect(problem.code).toBe('unauthorized');
      expect(problem.status).toBe(401);
      expect(problem.message.length).toBeGreaterThan(0);
      const line = lines.at(-1)!;
      expect(line.message).toBe('member reader refused');
      expect(['info', 'warn']).toContain(line.level);
      const token = /^Bearer +(\S+)/i.exec(authorization ?? '')?.[1];
      if (token !== undefined && token.length > 20) {
        expect(problem.message).not.toContain(token);
        expect(JSON.stringify(lines)).not.toContain(token);
        // Not even the signature part.
        expect(JSON.stringify(lines)).not.toContain(token.split('.').at(-1) || '\u0000');
      }
      return line.reason as ReaderAuthFailure;
    }
    expect(reader).toBeDefined();
    return 'accepted';
  }
  return { ...k, partnerKeys, lines, clock, authenticator, refusal };
}

describe('MemberReaderAuthenticator: CBP systems (admin keys)', () => {
  it('accepts a token of a key with members:read, twice and more (no jti needed), as a cbp reader', async () => {
    const { cbp, authenticator, clock } = await setup();
    const token = await adminToken(cbp, { now: START, claims: { sub: 'risk-engine', jti: undefined } });
    const expected: MemberReader = { kind: 'cbp', kid: 'cbp-reader', sub: 'risk-engine' };
    await expect(authenticator.authenticate(`Bearer ${token}`)).resolves.toEqual(expected);
    await expect(authenticator.authenticate(`Bearer ${token}`)).resolves.toEqual(expected);
    clock.set(new Date(START.getTime() + 50_000));
    await expect(authenticator.authenticate(`bearer  ${token}`)).resolves.toEqual(expected);
    // A token with a jti may be used again too: reads change nothing.
    const withJti = await adminToken(cbp, { now: START });
    await expect(authenticator.authenticate(`Bearer ${withJti}`)).resolves.toEqual({ ...expected, sub: 'test-admin' });
    await expect(authenticator.authenticate(`Bearer ${withJti}`)).resolves.toEqual({ ...expected, sub: 'test-admin' });
  });

  it('refuses a remembered token once it has expired, and before it is valid', async () => {
    const { cbp, clock, refusal } = await setup();
    const token = await adminToken(cbp, { now: START });
    expect(await refusal(`Bearer ${token}`)).toBe('accepted');
    // exp = iat + 60, plus the 30 s tolerance.
    clock.set(new Date(START.getTime() + 89_000));
    expect(await refusal(`Bearer ${token}`)).toBe('accepted');
    clock.set(new Date(START.getTime() + 90_000));
    expect(await refusal(`Bearer ${token}`)).toBe('expired');
    clock.set(new Date(START.getTime() - 31_000));
    expect(await refusal(`Bearer ${token}`)).toBe('not-yet-valid');
  });

  it('accepts a key without "roles" in admin-keys.json (every role, members:read included) and one with ["members:read"]', async () => {
    const { cbp, auditor, partnerKeys, lines } = await setup();
    const dir = directory();
    const reader = await createAdminKey({ kid: 'reader-only', roles: ['members:read'] });
    writeFileSync(path.join(dir, 'admin-keys.json'), JSON.stringify({ keys: [cbp.publicJwk, reader.publicJwk, auditor.publicJwk] }));
    const adminKeys = loadAdminKeys(dir)!;
    expect(adminKeys.map((k) => k.roles)).toEqual([[...ADMIN_ROLES], ['members:read'], ['audit']]);
    expect(ADMIN_ROLES).toContain('members:read');
    const authenticator = new MemberReaderAuthenticator({
      adminKeys,
      partnerKeys,
      partnerAlgorithms: PARTNER_ALGORITHMS,
      clock: { now: () => START },
      logger: createLogger('debug', new Writable({ write: (_c, _e, done) => done() })),
    });
    await expect(authenticator.authenticate(`Bearer ${await adminToken(cbp, { now: START })}`)).resolves.toEqual({ kind: 'cbp', kid: 'cbp-reader', sub: 'test-admin' });
    await expect(authenticator.authenticate(`Bearer ${await adminToken(reader, { now: START, claims: { sub: 'dashboard' } })}`)).resolves.toEqual({
      kind: 'cbp',
      kid: 'reader-only',
      sub: 'dashboard',
    });
    await expect(authenticator.authenticate(`Bearer ${await adminToken(auditor, { now: START })}`)).rejects.toMatchObject({ code: 'forbidden', status: 403 });
    expect(lines).toEqual([]);
  });

  it('answers 403 forbidden, every time, to a valid token of a key without members:read', async () => {
    const { auditor, authenticator, lines } = await setup();
    const token = await adminToken(auditor, { now: START });
    for (let i = 0; i < 2; i++) {
      const error = (await authenticator.authenticate(`Bearer ${token}`).catch((e: unknown) => e)) as GatewayError;
      expect(error).toBeInstanceOf(GatewayError);
      expect(error.code).toBe('forbidden');
      expect(error.status).toBe(403);
      expect(error.message).toContain('members:read');
      expect(error.message).not.toContain(token);
      expect(lines.at(-1)).toMatchObject({ level: 'warn', reason: 'missing-role', kid: 'auditor', sub: 'test-admin' });
    }
    expect(JSON.stringify(lines)).not.toContain(token);
    // An invalid token of that key is a 401 first.
    await expect(authenticator.authenticate(`Bearer ${await adminToken(auditor, { now: START, claims: { aud: 'elsewhere' } })}`)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('refuses tokens that break the admin token rules (except jti)', async () => {
    const { cbp, impostor, refusal } = await setup();
    const token = (options: Parameters<typeof adminToken>[1]) => adminToken(cbp, { now: START, ...options }).then((t) => `Bearer ${t}`);
    expect(await refusal(await token({ claims: { aud: PARTNER_READER_AUDIENCE } }))).toBe('wrong-audience');
    expect(await refusal(await token({ claims: { aud: undefined } }))).toBe('missing-claim');
    expect(await refusal(await token({ claims: { sub: undefined } }))).toBe('missing-claim');
    expect(await refusal(await token({ claims: { exp: undefined } }))).toBe('missing-claim');
    expect(await refusal(await token({ claims: { iat: undefined } }))).toBe('missing-claim');
    expect(await refusal(await token({ claims: { sub: 'eve\u0007' } }))).toBe('invalid-claim');
    expect(await refusal(await token({ claims: { sub: 'x'.repeat(257) } }))).toBe('invalid-claim');
    expect(await refusal(await token({ claims: { exp: T + 301 } }))).toBe('lifetime-too-long');
    expect(await refusal(await token({ claims: { exp: T + 300 } }))).toBe('accepted');
    expect(await refusal(await token({ claims: { iat: T - 400, exp: T - 100 } }))).toBe('expired');
    expect(await refusal(await token({ claims: { iat: T - 400, exp: T + 10 } }))).toBe('expired');
    expect(await refusal(await token({ claims: { iat: T + 60, exp: T + 120 } }))).toBe('not-yet-valid');
    expect(await refusal(await token({ claims: { nbf: T + 60 } }))).toBe('not-yet-valid');
    // Signed by another key under the CBP key's kid.
    expect(await refusal(`Bearer ${await adminToken(impostor, { now: START })}`)).toBe('bad-signature');
    // An algorithm the P-256 key does not take (handmade: jose would not sign it).
    const [, payload, signature] = (await adminToken(cbp, { now: START })).split('.');
    const es384Header = Buffer.from(JSON.stringify({ alg: 'ES384', kid: 'cbp-reader' })).toString('base64url');
    expect(await refusal(`Bearer ${es384Header}.${payload}.${signature}`)).toBe('disallowed-algorithm');
  });

  it('refuses HS256 and alg none under an admin kid', async () => {
    const { refusal } = await setup();
    expect(await refusal(`Bearer ${await hmacToken('cbp-reader', START)}`)).toBe('disallowed-algorithm');
    expect(await refusal(`Bearer ${unsecuredToken('cbp-reader', START)}`)).toBe('disallowed-algorithm');
  });
});

describe('MemberReaderAuthenticator: partner administrations', () => {
  it("accepts a token of the partner's active key, as that administration, each time", async () => {
    const { eu, jp, refusal, authenticator } = await setup();
    const token = await partnerToken(eu);
    const expected: MemberReader = { kind: 'partner', kid: 'eu-2026', administration: 'EU' };
    await expect(authenticator.authenticate(`Bearer ${token}`)).resolves.toEqual(expected);
    await expect(authenticator.authenticate(`Bearer ${token}`)).resolves.toEqual(expected);
    await expect(authenticator.authenticate(`Bearer ${await partnerToken(jp)}`)).resolves.toEqual({ kind: 'partner', kid: 'jp-2026', administration: 'JP' });
    // RFC 7515: typ compares case-insensitively, with or without "application/".
    expect(await refusal(`Bearer ${await partnerToken(eu, { header: { typ: 'application/jwt' } })}`)).toBe('accepted');
    expect(await refusal(`Bearer ${await partnerToken(eu, { header: { typ: 'jwt' } })}`)).toBe('accepted');
    expect(await refusal(`Bearer ${await partnerToken(eu, { claims: { exp: T + 300 } })}`)).toBe('accepted');
  });

  it('looks the key up again on every use, so that a key revoked meanwhile refuses its tokens', async () => {
    const { eu, partnerKeys, refusal } = await setup();
    const token = `Bearer ${await partnerToken(eu)}`;
    expect(await refusal(token)).toBe('accepted');
    partnerKeys.keys[0]!.revokedAt = new Date(START.getTime() - 1);
    expect(await refusal(token)).toBe('inactive-key');
    expect(partnerKeys.lookups).toBe(2);
  });

  it('identifies the reader by the key that verifies when several administrations share a kid', async () => {
    const { eu, partnerKeys, authenticator } = await setup();
    const jpWithEuKid = await createPartnerKey('JP', { kid: 'eu-2026' });
    partnerKeys.keys.unshift(registered(jpWithEuKid));
    await expect(authenticator.authenticate(`Bearer ${await partnerToken(eu)}`)).resolves.toMatchObject({ administration: 'EU' });
    await expect(authenticator.authenticate(`Bearer ${await partnerToken(jpWithEuKid)}`)).resolves.toMatchObject({ administration: 'JP' });
  });

  it('requires typ JWT: a token with typ mra-member-list+json, another typ or none is refused', async () => {
    const { eu, refusal } = await setup();
    expect(await refusal(`Bearer ${await partnerToken(eu, { header: { typ: 'mra-member-list+json' } })}`)).toBe('wrong-type');
    expect(await refusal(`Bearer ${await partnerToken(eu, { header: { typ: 'at+jwt' } })}`)).toBe('wrong-type');
    expect(await refusal(`Bearer ${await partnerToken(eu, { header: { typ: undefined } })}`)).toBe('wrong-type');
  });

  it('refuses a member-list JWS used as a token', async () => {
    const { eu, refusal } = await setup();
    const list = memberList([euMember()], { issuedAt: START.toISOString() });
    expect(await refusal(`Bearer ${await signCompact(list, eu)}`)).toBe('wrong-type');
    // Even with claims that would fit, and typ JWT, a member list carries no aud.
    expect(await refusal(`Bearer ${await signCompact({ ...list, iat: T, exp: T + 60 }, eu, { typ: 'JWT' })}`)).toBe('missing-claim');
  });

  it('refuses a token for the admin API (aud mra-gateway-admin) signed by a partner key, and other audiences', async () => {
    const { eu, refusal } = await setup();
    expect(await refusal(`Bearer ${await partnerToken(eu, { claims: { aud: ADMIN_AUDIENCE } })}`)).toBe('wrong-audience');
    expect(await refusal(`Bearer ${await partnerToken(eu, { claims: { aud: 'mra-gateway' } })}`)).toBe('wrong-audience');
    expect(await refusal(`Bearer ${await partnerToken(eu, { claims: { aud: undefined } })}`)).toBe('missing-claim');
  });

  it('refuses tokens of revoked, expired and pending keys', async () => {
    const { revoked, expired, pending, refusal, lines } = await setup();
    expect(await refusal(`Bearer ${await partnerToken(revoked)}`)).toBe('inactive-key');
    expect(lines.at(-1)).toMatchObject({ level: 'warn', kid: 'eu-revoked', states: ['revoked'] });
    expect(await refusal(`Bearer ${await partnerToken(expired)}`)).toBe('inactive-key');
    expect(await refusal(`Bearer ${await partnerToken(pending)}`)).toBe('inactive-key');
  });

  it('refuses a lifetime over 300 s, expired, not yet valid and missing iat or exp', async () => {
    const { eu, refusal } = await setup();
    const token = (claims: Record<string, unknown>) => partnerToken(eu, { claims }).then((t) => `Bearer ${t}`);
    expect(await refusal(await token({ exp: T + 301 }))).toBe('lifetime-too-long');
    expect(await refusal(await token({ iat: T - 200, exp: T - 31 }))).toBe('expired');
    expect(await refusal(await token({ iat: T - 200, exp: T - 29 }))).toBe('accepted');
    expect(await refusal(await token({ iat: T - 331, exp: T + 10 }))).toBe('expired');
    expect(await refusal(await token({ iat: T + 31, exp: T + 90 }))).toBe('not-yet-valid');
    expect(await refusal(await token({ iat: undefined }))).toBe('missing-claim');
    expect(await refusal(await token({ exp: undefined }))).toBe('missing-claim');
    expect(await refusal(await token({ exp: 'tomorrow' }))).toBe('invalid-claim');
  });

  it('refuses a bad signature, an algorithm outside the allowlist or not fitting the key, HS256 and alg none', async () => {
    const { eu, euOther, es512, refusal } = await setup();
    // euOther has the same kid but is not registered: its signature does not verify with eu's key.
    expect(await refusal(`Bearer ${await partnerToken(eu, { signWith: euOther })}`)).toBe('bad-signature');
    const tampered = (await partnerToken(eu)).split('.');
    tampered[1] = Buffer.from(JSON.stringify({ aud: PARTNER_READER_AUDIENCE, iat: T, exp: T + 300 })).toString('base64url');
    expect(await refusal(`Bearer ${tampered.join('.')}`)).toBe('bad-signature');
    // ES512 is a valid key, but not on this gateway's partner allowlist.
    expect(await refusal(`Bearer ${await partnerToken(es512)}`)).toBe('disallowed-algorithm');
    // ES384 is on the allowlist but does not fit a P-256 key (handmade: jose would not sign it).
    const [, payload, signature] = (await partnerToken(eu)).split('.');
    const es384Header = Buffer.from(JSON.stringify({ alg: 'ES384', kid: 'eu-2026', typ: 'JWT' })).toString('base64url');
    expect(await refusal(`Bearer ${es384Header}.${payload}.${signature}`)).toBe('disallowed-algorithm');
    const hs = await new SignJWT({ aud: PARTNER_READER_AUDIENCE, iat: T, exp: T + 60 })
      .setProtectedHeader({ alg: 'HS256', kid: 'eu-2026', typ: 'JWT' })
      .sign(new TextEncoder().encode('a-shared-secret-the-gateway-never-has'));
    expect(await refusal(`Bearer ${hs}`)).toBe('disallowed-algorithm');
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(await refusal(`Bearer ${part({ alg: 'none', kid: 'eu-2026', typ: 'JWT' })}.${part({ aud: PARTNER_READER_AUDIENCE, iat: T, exp: T + 60 })}.`)).toBe(
      'disallowed-algorithm',
    );
  });

  it('refuses when the registered key names another algorithm in its "alg"', async () => {
    const { eu, partnerKeys, refusal } = await setup();
    partnerKeys.keys[0] = { ...partnerKeys.keys[0]!, jwk: { ...eu.publicJwk, alg: 'ES384' } };
    expect(await refusal(`Bearer ${await partnerToken(eu)}`)).toBe('disallowed-algorithm');
  });
});

describe('MemberReaderAuthenticator: the Authorization header and the kid', () => {
  it('refuses no header, another scheme and a token that is not a compact JWS', async () => {
    const { cbp, refusal, lines } = await setup();
    expect(await refusal(undefined)).toBe('missing-token');
    expect(lines.at(-1)!.level).toBe('info');
    expect(await refusal('')).toBe('missing-token');
    expect(await refusal('Basic dXNlcjpwYXNz')).toBe('missing-token');
    expect(await refusal('Bearer')).toBe('missing-token');
    expect(await refusal(`Bearer ${await adminToken(cbp, { now: START })} extra`)).toBe('missing-token');
    expect(await refusal('Bearer not-a-jws')).toBe('malformed-token');
    expect(await refusal('Bearer e30.e30.e30.e30.e30')).toBe('malformed-token');
    expect(await refusal(`Bearer ${Buffer.from('{"alg":').toString('base64url')}.e30.sig`)).toBe('malformed-token');
  });

  it('refuses a kid that names neither an admin key nor a partner key, and no kid', async () => {
    const { eu, cbp, refusal } = await setup();
    const stranger = await createPartnerKey('XX', { kid: 'nobody' });
    expect(await refusal(`Bearer ${await partnerToken(stranger)}`)).toBe('unknown-key');
    expect(await refusal(`Bearer ${await partnerToken(eu, { header: { kid: undefined } })}`)).toBe('unknown-key');
    expect(await refusal(`Bearer ${await adminToken(cbp, { now: START, header: { kid: 'cbp-retired' } })}`)).toBe('unknown-key');
  });

  it('applies the CBP rules to an admin kid: a partner-style token under it is refused', async () => {
    const { cbp, refusal } = await setup();
    expect(await refusal(`Bearer ${await adminToken(cbp, { now: START, claims: { aud: PARTNER_READER_AUDIENCE, sub: undefined } })}`)).not.toBe('accepted');
  });

  it('says why in the detail, with the generic titles of unauthorized and forbidden', async () => {
    const { eu, authenticator } = await setup();
    const error = (await authenticator.authenticate(`Bearer ${await partnerToken(eu, { header: { typ: 'mra-member-list+json' } })}`).catch((e: unknown) => e)) as GatewayError;
    expect(error.message).toContain('"typ": "JWT"');
    expect(problemTypes.unauthorized.title).toBe('Authentication failed');
    expect(problemTypes.forbidden.title).toBe("The caller's role does not allow this");
  });
});

describe('mayRead', () => {
  it('lets CBP read every administration and a partner only its own', () => {
    const cbp: MemberReader = { kind: 'cbp', kid: 'cbp-reader', sub: 'risk-engine' };
    const eu: MemberReader = { kind: 'partner', kid: 'eu-2026', administration: 'EU' };
    expect(mayRead(cbp, 'EU')).toBe(true);
    expect(mayRead(cbp, 'JP')).toBe(true);
    expect(mayRead(eu, 'EU')).toBe(true);
    expect(mayRead(eu, 'JP')).toBe(false);
    expect(mayRead(eu, 'eu')).toBe(false);
  });
});
