import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { ADMIN_ROLES, ADMIN_TOKEN_ALGORITHMS, type AdminRole } from '../../admin/admin-key.js';
import { CliError } from '../cli-error.js';
import { readableByOthers, readJsonFile, writeOutputFile } from '../cli-files.js';
import { publicHalf } from '../partner/partner-key-files.js';
import { algorithmFor } from '../../admin/admin-token-format.js';

/** An administrator's public key as admin-keys.json lists it: the JWK, and "roles" when limited. */
export type AdminPublicKey = JWK & { kid: string; roles?: AdminRole[] };

/** `--roles keys,audit`: the roles named, each one of ADMIN_ROLES (usage error otherwise). */
export function parseRoles(value: string | undefined): AdminRole[] | undefined {
  if (value === undefined) return undefined;
  const roles = value.split(',').map((r) => r.trim()).filter((r) => r !== '');
  if (roles.length === 0) throw new CliError('usage', `--roles names at least one of ${ADMIN_ROLES.join(', ')}`);
  for (const role of roles) {
    if (!(ADMIN_ROLES as readonly string[]).includes(role)) throw new CliError('usage', `--roles: "${role}" is not a role (${ADMIN_ROLES.join(', ')})`);
  }
  return [...new Set(roles)] as AdminRole[];
}

/**
 * Creates an administrator key pair: the private JWK goes to `keyFile` (mode 0600, its folder created,
 * never over an existing file); the public JWK, with "roles" when given, is returned for
 * CONFIG_DIR/admin-keys.json.
 */
export async function generateAdminKey(options: { keyFile: string; alg: string; kid?: string; roles?: AdminRole[] }): Promise<AdminPublicKey> {
  const { alg } = options;
  if (!(ADMIN_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) throw new CliError('usage', `--alg must be one of ${ADMIN_TOKEN_ALGORITHMS.join(', ')}`);
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg.startsWith('PS') ? { modulusLength: 3072 } : {}) });
  const publicJwk = await exportJWK(publicKey);
  const kid = options.kid ?? (await calculateJwkThumbprint(publicJwk));
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  writeOutputFile(options.keyFile, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, exclusive: { hint: 'choose another file: an administrator key is never replaced' } });
  return { ...publicJwk, kid, alg, use: 'sig', ...(options.roles ? { roles: options.roles } : {}) };
}

/** Reads an administrator's private JWK; `warn` is told when the file is readable by others. */
export async function readAdminKey(file: string, warn: (text: string) => void): Promise<JWK & { kid: string }> {
  const jwk = readJsonFile(file, 'your administrator private key') as JWK | null;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk) || typeof jwk.d !== 'string') throw new CliError('invalid-key', `${file} holds no private JWK (no "d")`);
  if (typeof jwk.kid !== 'string' || jwk.kid === '') throw new CliError('invalid-key', `${file} has no "kid": the gateway finds your key by it`);
  try {
    await importJWK(jwk, algorithmFor(jwk));
  } catch (error) {
    throw new CliError('invalid-key', `${file} is not a usable ${algorithmFor(jwk)} key: ${(error as Error).message}`);
  }
  if (readableByOthers(file)) warn(`warning: ${file} can be read by other users; chmod 600 it`);
  return jwk as JWK & { kid: string };
}

/** The public half of an administrator's private key, as admin-keys.json lists it. */
export function adminPublicKey(privateJwk: JWK & { kid: string }, roles: AdminRole[] | undefined): AdminPublicKey {
  const jwk = publicHalf(privateJwk) as JWK & { kid: string };
  return { ...jwk, kid: privateJwk.kid, alg: algorithmFor(privateJwk), ...(roles ? { roles } : {}) };
}
