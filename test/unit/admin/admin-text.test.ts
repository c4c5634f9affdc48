/**
 * Admin text that is stored and shown again (the reason of a change, the token's sub and jti) must be
 * well-formed Unicode without control, separator or bidirectional formatting characters.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AdminAuthenticator } from '../../../src/admin/admin-authenticator.js';
import { ADMIN_ROLES } from '../../../src/admin/admin-key.js';
import type { AdminTokenLedger } from '../../../src/admin/admin-store.js';
import { readRevokeRequest, readStatusChangeRequest } from '../../../src/admin/admin-requests.js';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import { createLogger } from '../../../src/logging/logger.js';
import { adminToken, createAdminKey } from '../../support/admin-tokens.js';

const REFUSED = [
  ['a lone high surrogate', 'key \ud800 exposed'],
  ['a lone low surrogate', 'key \udc00 exposed'],
  ['a reversed pair', 'key \ude00\ud83d exposed'],
  ['U+202E RIGHT-TO-LEFT OVERRIDE', 'key exposed \u202e'],
  ['U+2067 RIGHT-TO-LEFT ISOLATE', '\u2067key exposed'],
  ['U+0085 NEXT LINE', 'key\u0085exposed'],
  ['U+0000', 'key\u0000exposed'],
  ['a tab inside it', 'key\texposed'],
  ['a line feed inside it', 'key exposed\nsee ticket'],
  ['U+2028 LINE SEPARATOR inside it', 'key exposed\u2028see ticket'],
] as const;

const ACCEPTED = ['key exposed', 'Schlüssel offengelegt', '鍵の漏洩', 'clé 🔑 compromise', '\u{20000} review', 'a\u00a0b (no-break space)', 'מפתח דלף (RTL text without controls)'];

function problem(read: () => unknown): { code: string; errors: { pointer: string; detail: string }[] } | 'accepted' {
  try {
    read();
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return { code: (error as GatewayError).code, errors: [...((error as GatewayError).errors ?? [])] };
  }
}

describe('admin reasons', () => {
  for (const [name, reason] of REFUSED) {
    it(`refuses a reason with ${name}: 400 invalid-request at /reason, naming the character`, () => {
      for (const read of [() => readRevokeRequest({ reason }), () => readStatusChangeRequest({ status: 'suspended', reason })]) {
        const found = problem(read);
        expect(found).toMatchObject({ code: 'invalid-request', errors: [{ pointer: '/reason', detail: expect.stringMatching(/^has U\+[0-9A-F]{4}, /) as unknown }] });
      }
    });
  }

  it('accepts reasons in any script, with characters beyond U+FFFF, and trims the white space around them', () => {
    for (const reason of ACCEPTED) expect(readRevokeRequest({ reason: ` \t${reason}\n\u2028` })).toEqual({ reason });
  });

  it('the documented AdminReason pattern (docs/openapi.json) agrees with the reader', () => {
    const openapi = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../docs/openapi.json'), 'utf8')) as { components: { schemas: { AdminReason: object } } };
    const documented = new Ajv2020({ strict: false }).compile(openapi.components.schemas.AdminReason);
    const cases = [...ACCEPTED, ...REFUSED.map(([, reason]) => reason), ` ${'x'.repeat(1000)} `, 'x'.repeat(1001), ' \n ', '', '\tx\n', 'x\u202e', '\u{1F600}'.repeat(1000)];
    for (const reason of cases) {
      const accepted = problem(() => readRevokeRequest({ reason })) === 'accepted';
      expect(documented(reason), JSON.stringify(reason)).toBe(accepted);
    }
  });
});

class MemoryLedger implements AdminTokenLedger {
  private readonly used = new Set<string>();
  async useOnce(kid: string, jti: string): Promise<boolean> {
    if (this.used.has(`${kid} ${jti}`)) return false;
    this.used.add(`${kid} ${jti}`);
    return true;
  }
}

describe('admin token sub and jti', () => {
  const NOW = new Date('2026-03-01T12:00:00Z');

  async function setup() {
    const key = await createAdminKey({ kid: 'es' });
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>));
        done();
      },
    });
    const authenticator = new AdminAuthenticator([{ kid: key.kid, jwk: key.publicJwk, roles: [...ADMIN_ROLES] }], new MemoryLedger(), { now: () => NOW }, createLogger('debug', sink));
    const outcome = async (claims: Record<string, unknown>): Promise<string> => {
      try {
        await authenticator.authenticate(`Bearer ${await adminToken(key, { now: NOW, claims })}`);
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(GatewayError);
        expect((error as GatewayError).status).toBe(401);
        return lines.at(-1)!.reason as string;
      }
    };
    return { authenticator, key, lines, outcome };
  }

  it('the token carries a lone surrogate as the JSON escape JSON.stringify writes, and jose reads it back', async () => {
    const { key } = await setup();
    const token = await adminToken(key, { now: NOW, claims: { sub: 'alice\ud800' } });
    expect(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).toContain('"sub":"alice\\ud800"');
  });

  for (const [name, text] of REFUSED) {
    it(`refuses a sub or a jti with ${name} as invalid-claim (401)`, async () => {
      const { outcome } = await setup();
      expect(await outcome({ sub: text })).toBe('invalid-claim');
      expect(await outcome({ jti: text })).toBe('invalid-claim');
    });
  }

  it('accepts a sub in any script or with characters beyond U+FFFF, and returns it as sent', async () => {
    const { key, authenticator } = await setup();
    for (const sub of ['José Ñúñez', '山田太郎', 'ops 🔧 team', '\u{20000}']) {
      await expect(authenticator.authenticate(`Bearer ${await adminToken(key, { now: NOW, claims: { sub } })}`)).resolves.toMatchObject({ sub });
    }
  });

  it('does not log a refused sub', async () => {
    const { outcome, lines } = await setup();
    expect(await outcome({ sub: 'mallory\u202e' })).toBe('invalid-claim');
    expect(lines.at(-1)).not.toHaveProperty('sub');
  });
});
