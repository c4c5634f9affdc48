import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ADMIN_ROLES, ADMIN_TOKEN_ALGORITHMS, type AdminKey, type AdminRole } from '../admin/admin-key.js';
import { GatewayError } from '../domain/gateway-error.js';
import { checkPartnerJwk } from '../domain/partner-key-policy.js';
import { ConfigError } from './app-config.js';

const FIELD = 'CONFIG_DIR/admin-keys.json';

/**
 * Reads CONFIG_DIR/admin-keys.json, a JWK Set (RFC 7517) of administrators' public keys, each with a
 * unique, safe kid and optionally "roles", each checked like a partner key (partner-key-policy: weak or
 * degenerate key material is refused). Returns undefined when the file does not exist (the admin API
 * then refuses every call); anything wrong inside the file stops start-up with a ConfigError naming
 * it, because a half-read key list would lock out or let in the wrong people.
 */
export function loadAdminKeys(configDir: string): AdminKey[] | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(configDir, 'admin-keys.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(FIELD, `cannot be read (${(error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(FIELD, `cannot be read as JSON (${(error as Error).message})`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (typeof parsed !== 'object' || Array.isArray(parsed) || !Array.isArray(keys)) throw new ConfigError(FIELD, 'must be a JWK Set: {"keys": [...]}');
  const seen = new Set<string>();
  return keys.map((entry, i) => {
    const key = toAdminKey(entry, `${FIELD}/keys/${i}`);
    if (seen.has(key.kid)) throw new ConfigError(`${FIELD}/keys/${i}/kid`, `"${key.kid}" appears twice`);
    seen.add(key.kid);
    return key;
  });
}

function toAdminKey(entry: unknown, field: string): AdminKey {
  const { roles, ...jwk } = (typeof entry === 'object' && entry !== null ? entry : { kty: undefined }) as Record<string, unknown>;
  let checked;
  try {
    checked = checkPartnerJwk(jwk, ADMIN_TOKEN_ALGORITHMS);
    // The policy checks members, kid and numbers (no identity point, no e = 1: a key that would let a
    // token be forged without the private key); importing proves that OpenSSL takes them as a key too.
    createPublicKey({ key: checked as JsonWebKey, format: 'jwk' });
  } catch (error) {
    // The shared policy words its findings for partner keys; the finding itself applies as it stands.
    const finding = error instanceof GatewayError ? error.message.replace(/^Partner key refused: /, '').replace(/\.$/, '') : 'the numbers do not form a valid public key';
    throw new ConfigError(field, `is not an acceptable administrator public key: ${finding}`);
  }
  return { kid: checked.kid, jwk: checked, roles: readRoles(roles, `${field}/roles`) };
}

function readRoles(value: unknown, field: string): AdminRole[] {
  if (value === undefined) return [...ADMIN_ROLES];
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError(field, `must be a non-empty array of ${ADMIN_ROLES.join(', ')}`);
  for (const role of value) {
    if (!(ADMIN_ROLES as readonly unknown[]).includes(role)) throw new ConfigError(field, `${JSON.stringify(role)} is not a role (${ADMIN_ROLES.join(', ')})`);
  }
  return [...new Set(value as AdminRole[])];
}
