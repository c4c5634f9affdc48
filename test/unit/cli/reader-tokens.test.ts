import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { READER_TOKEN_LIFETIME_SECONDS, signReaderToken } from '../../../src/cli/admin/admin-token.js';
import { ReaderTokens } from '../../../src/cli/consumer/reader-tokens.js';

async function adminKey() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateJwk: { ...(await exportJWK(privateKey)), kid: 'reader-1', alg: 'ES256' }, publicKey };
}

describe('register tokens', () => {
  it('are admin tokens without a jti: kid, typ JWT, sub, aud mra-gateway-admin, 120 s from iat', async () => {
    const { privateJwk, publicKey } = await adminKey();
    const now = new Date('2026-12-01T10:00:00.400Z');
    const token = await signReaderToken(privateJwk, 'risk-engine', READER_TOKEN_LIFETIME_SECONDS, now);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'reader-1', typ: 'JWT' });
    const { payload } = await jwtVerify(token, publicKey, { audience: 'mra-gateway-admin', currentDate: now });
    expect(payload).toEqual({ sub: 'risk-engine', aud: 'mra-gateway-admin', iat: 1_796_119_200, exp: 1_796_119_320 });
    await expect(signReaderToken(privateJwk, 'x', 301)).rejects.toThrow(/300/);
    await expect(signReaderToken(privateJwk, 'x', 0)).rejects.toThrow();
  });

  it('are used again until 30 s before they expire, then replaced', async () => {
    const { privateJwk } = await adminKey();
    let now = new Date('2026-12-01T10:00:00.000Z');
    const tokens = new ReaderTokens(privateJwk, 'risk-engine', 120, 30, () => now);
    const first = await tokens.token();
    now = new Date('2026-12-01T10:01:29.999Z');
    expect(await tokens.token()).toBe(first);
    now = new Date('2026-12-01T10:01:30.000Z');
    const second = await tokens.token();
    expect(second).not.toBe(first);
    expect(decodeJwt(second).iat).toBe(Math.floor(now.getTime() / 1000));
    expect(await tokens.token()).toBe(second);
  });
});
