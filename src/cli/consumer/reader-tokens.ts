import type { JWK } from 'jose';
import { DEFAULT_READER_SUB, READER_TOKEN_LIFETIME_SECONDS, signReaderToken } from '../admin/admin-token.js';
import { readAdminKey } from '../admin/admin-keygen.js';
import { CliError } from '../cli-error.js';
import type { CliEnv } from '../cli-context.js';

/** How long before its end a token is replaced by a new one (the gateway allows 30 s of clock difference). */
export const READER_TOKEN_RENEW_BEFORE_SECONDS = 30;

/**
 * The register tokens of one command run: one token signed, then used for every request until it is
 * within `renewBeforeSeconds` of its expiry, then another. A reader token may be used again until it
 * expires (contract section 5), so a sync of hundreds of pages signs a token every 90 seconds, not one
 * per page.
 */
export class ReaderTokens {
  private current: { token: string; renewAt: number } | undefined;

  constructor(
    private readonly privateJwk: JWK,
    private readonly sub: string,
    private readonly lifetimeSeconds = READER_TOKEN_LIFETIME_SECONDS,
    private readonly renewBeforeSeconds = READER_TOKEN_RENEW_BEFORE_SECONDS,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async token(): Promise<string> {
    const now = this.now();
    if (this.current && now.getTime() < this.current.renewAt) return this.current.token;
    const token = await signReaderToken(this.privateJwk, this.sub, this.lifetimeSeconds, now);
    // iat is the second `now` falls in: count the lifetime from there, as the gateway does.
    const iat = Math.floor(now.getTime() / 1000);
    this.current = { token, renewAt: (iat + this.lifetimeSeconds - this.renewBeforeSeconds) * 1000 };
    return token;
  }
}

export interface ReaderCredentialOptions {
  key?: string;
  sub?: string;
}

/**
 * The administrator key and name for register tokens, found as mra admin finds them: --key, else
 * MRA_ADMIN_KEY (required); --sub, else MRA_ADMIN_SUB, else "mra-consumer" (reads are not audited).
 */
export async function readerCredentials(options: ReaderCredentialOptions, env: CliEnv, warn: (text: string) => void): Promise<{ privateJwk: JWK & { kid: string }; sub: string }> {
  const file = options.key !== undefined && options.key !== '' ? options.key : env.MRA_ADMIN_KEY;
  if (file === undefined || file === '') throw new CliError('usage', '--key (or MRA_ADMIN_KEY) is required: the administrator private JWK whose key has the role members:read');
  const sub = options.sub !== undefined && options.sub !== '' ? options.sub : env.MRA_ADMIN_SUB !== undefined && env.MRA_ADMIN_SUB !== '' ? env.MRA_ADMIN_SUB : DEFAULT_READER_SUB;
  return { privateJwk: await readAdminKey(file, warn), sub };
}
