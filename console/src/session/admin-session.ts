import { SignJWT } from 'jose';
import { ADMIN_AUDIENCE } from '../../../src/admin/admin-token-format.js';
import type { ConsoleSigningKey } from './admin-key-file.js';

/** How long the console's tokens live: one call, well under the gateway's five minutes. */
const TOKEN_LIFETIME_SECONDS = 60;

/**
 * A signed-in administrator: the key held in memory, the name their changes are audited under, and
 * how far this computer's clock is from the gateway's (the gateway refuses a token whose iat is more
 * than 30 s off, so tokens are dated on the gateway's clock as measured at sign-in).
 */
export class AdminSession {
  constructor(
    private readonly key: ConsoleSigningKey,
    readonly sub: string,
    private readonly clockOffsetMs: number,
  ) {}

  get kid(): string {
    return this.key.kid;
  }

  /** A fresh single-use token (ICD 3) for one call: aud, sub, iat, exp a minute later, a random jti. */
  async token(): Promise<string> {
    const iat = Math.floor((Date.now() + this.clockOffsetMs) / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: 'JWT' })
      .setSubject(this.sub)
      .setAudience(ADMIN_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + TOKEN_LIFETIME_SECONDS)
      .setJti(crypto.randomUUID())
      .sign(this.key.privateKey);
  }
}

/**
 * The gateway's clock minus this computer's, in ms, from the Date header of GET /healthz (whole
 * seconds, so offsets under two seconds count as none).
 */
export async function measureClockOffset(): Promise<number> {
  const sent = Date.now();
  const response = await fetch('/healthz', { cache: 'no-store', credentials: 'omit' });
  const received = Date.now();
  const date = Date.parse(response.headers.get('date') ?? '');
  if (Number.isNaN(date)) return 0;
  const offset = date + 500 - (sent + received) / 2;
  return Math.abs(offset) < 2000 ? 0 : offset;
}
