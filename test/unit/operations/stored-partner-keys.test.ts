import { generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { PartnerKey } from '../../../src/domain/partner-key.js';
import { createLogger } from '../../../src/logging/logger.js';
import { reportStoredPartnerKeys, storedPartnerKeyFindings } from '../../../src/operations/stored-partner-keys.js';
import { ed25519IdentityJwk } from '../../support/weak-keys.js';

const NOW = new Date('2026-11-29T12:00:00Z');
const sound = () => generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as JWK;

function key(administration: string, kid: string, jwk: JWK, changes: Partial<PartnerKey> = {}): PartnerKey {
  return { administration, kid, jwk, notBefore: null, notAfter: null, revokedAt: null, revocationReason: null, addedAt: new Date(0), ...changes };
}

describe('the start-up scan of stored partner keys', () => {
  it('finds unsafe keys that are not revoked, with their reason', () => {
    const keys = [
      key('EU', 'eu-1', sound()),
      key('EU', 'eu-identity', ed25519IdentityJwk('eu-identity')),
      key('JP', 'jp-expired-identity', ed25519IdentityJwk('x'), { notAfter: new Date('2026-01-01T00:00:00Z') }),
      key('JP', 'jp-revoked-identity', ed25519IdentityJwk('y'), { revokedAt: new Date('2026-01-01T00:00:00Z'), revocationReason: 'unsafe' }),
      key('CA', 'ca-rsa-e1', { kty: 'RSA', e: 'AQ', n: (generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as JWK).n! }),
    ];
    const { unsafe } = storedPartnerKeyFindings(keys, NOW);
    expect(unsafe.map((u) => [u.administration, u.kid])).toEqual([
      ['EU', 'eu-identity'],
      ['JP', 'jp-expired-identity'],
      ['CA', 'ca-rsa-e1'],
    ]);
    expect(unsafe.every((u) => u.reason.length > 0)).toBe(true);
  });

  it('finds a kid shared by administrations while more than one of its keys can still verify', () => {
    const ended = { revokedAt: new Date('2026-01-01T00:00:00Z'), revocationReason: 'duplicate' };
    const keys = [
      key('EU', 'shared', sound()),
      key('JP', 'shared', sound(), { notBefore: new Date('2027-01-01T00:00:00Z') }),
      key('CA', 'shared', sound(), ended),
      key('EU', 'settled', sound()),
      key('JP', 'settled', sound(), ended),
      key('MX', 'settled', sound(), { notAfter: new Date('2026-01-01T00:00:00Z') }),
    ];
    expect(storedPartnerKeyFindings(keys, NOW).sharedKids).toEqual([{ kid: 'shared', administrations: ['EU', 'JP'] }]);
  });

  it('logs each finding at error level, with no key material', async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString('utf8')), done()) }));
    const identity = ed25519IdentityJwk('eu-identity');
    await reportStoredPartnerKeys({ all: async () => [key('EU', 'eu-identity', identity), key('EU', 'k', sound()), key('JP', 'k', sound())] }, NOW, logger);
    const logged = lines.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.map((l) => [l.level, l.administration ?? null, l.kid, l.administrations ?? null])).toEqual([
      ['error', 'EU', 'eu-identity', null],
      ['error', null, 'k', ['EU', 'JP']],
    ]);
    expect(lines.join('')).not.toContain(identity.x);
  });
});
