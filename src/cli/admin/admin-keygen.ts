import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { writeFileSync } from 'node:fs';
import { ADMIN_ROLES, ADMIN_TOKEN_ALGORITHMS } from '../../admin/admin-key.js';
import { requiredOption, UsageError } from './usage-error.js';

/**
 * Creates an administrator key pair: the private JWK goes to `out` (mode 0600, never over an existing
 * file); the public JWK, with "roles" when given, is returned for CONFIG_DIR/admin-keys.json.
 */
export async function keygen(options: Record<string, string | boolean | undefined>, note: (text: string) => void): Promise<JWK> {
  const out = requiredOption(options, 'out');
  const alg = typeof options.alg === 'string' ? options.alg : 'ES256';
  if (!(ADMIN_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) throw new UsageError(`--alg must be one of ${ADMIN_TOKEN_ALGORITHMS.join(', ')}`);
  const roles = typeof options.roles === 'string' ? options.roles.split(',').map((r) => r.trim()).filter((r) => r !== '') : undefined;
  for (const role of roles ?? []) {
    if (!(ADMIN_ROLES as readonly string[]).includes(role)) throw new UsageError(`--roles: "${role}" is not a role (${ADMIN_ROLES.join(', ')})`);
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg.startsWith('PS') ? { modulusLength: 3072 } : {}) });
  const publicJwk = await exportJWK(publicKey);
  const kid = typeof options.kid === 'string' ? options.kid : await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  try {
    writeFileSync(out, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw new UsageError(`cannot write ${out}: ${(error as Error).message}`);
  }
  note(`Private key written to ${out} (mode 0600): keep it secret. Add the public key below to CONFIG_DIR/admin-keys.json and restart the gateway.`);
  return { ...publicJwk, kid, alg, use: 'sig', ...(roles ? { roles } : {}) };
}

