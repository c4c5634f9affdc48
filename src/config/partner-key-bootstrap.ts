import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'winston';
import { registrablePartnerJwk } from '../admin/partner-jwk.js';
import type { ArrangementRegistry } from '../domain/arrangement.js';
import { GatewayError } from '../domain/gateway-error.js';
import type { PartnerKey } from '../domain/partner-key.js';
import type { PartnerKeyStore } from '../store/gateway-store.js';
import { ConfigError } from './app-config.js';

/**
 * Imports CONFIG_DIR/partner-keys/<CODE>.json (a JWK Set per administration) into the store, for each
 * administration that has no keys yet. Once an administration has keys, the store is the truth and
 * the file is ignored, so a key revoked by an administrator never comes back from the file. A key may
 * carry "notBefore"/"notAfter" (RFC 3339) beside its JWK members. Each key is checked and reduced to
 * its public members exactly as a key registered through the admin API, so both are stored alike.
 *
 * A kid names one key across all administrations, so a kid that appears twice in the files to import,
 * or that the store already holds for another administration, stops start-up: the verifier could not
 * tell from the kid whose key it is. Every file is checked before any key is stored.
 */
export async function importBootstrapPartnerKeys(
  configDir: string,
  arrangements: ArrangementRegistry,
  store: PartnerKeyStore,
  allowedAlgorithms: readonly string[],
  logger: Logger,
): Promise<void> {
  const dir = path.join(configDir, 'partner-keys');
  if (!existsSync(dir)) return;
  const imports: { code: string; keys: PartnerKey[] }[] = [];
  /** Where each kid comes from: the store (an administration code), or a key of a file to import (its field). */
  const heldBy = new Map<string, { administration: string; field?: string }>();
  for (const key of await store.all()) heldBy.set(key.kid, { administration: key.administration });
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const field = `CONFIG_DIR/partner-keys/${name}`;
    const code = name.slice(0, -'.json'.length);
    if (!arrangements.find(code)) throw new ConfigError(field, `${code} is not an administration in mras.json`);
    if (await store.hasKeys(code)) continue;
    const keys = readKeySet(path.join(dir, name), field).map((entry, i) => {
      const keyField = `${field}/keys/${i}`;
      const key = toPartnerKey(code, entry, keyField, allowedAlgorithms);
      const holder = heldBy.get(key.kid);
      if (holder?.field !== undefined) throw new ConfigError(`${keyField}/kid`, `"${key.kid}" is already the kid of ${holder.field}: a kid names one key`);
      if (holder) throw new ConfigError(`${keyField}/kid`, `"${key.kid}" is already the kid of a key of ${holder.administration} in the store: a kid names one key across all administrations`);
      heldBy.set(key.kid, { administration: code, field: keyField });
      return key;
    });
    imports.push({ code, keys });
  }
  for (const { code, keys } of imports) {
    await store.add(keys);
    logger.info('imported partner keys', { administration: code, kids: keys.map((k) => k.kid) });
  }
}

function readKeySet(file: string, field: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(field, `cannot be read as JSON (${(error as Error).message})`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new ConfigError(field, 'must be a JWK Set: {"keys": [...]}');
  return keys;
}

function toPartnerKey(administration: string, entry: unknown, field: string, allowedAlgorithms: readonly string[]): PartnerKey {
  const { notBefore, notAfter, ...jwk } = (entry ?? {}) as Record<string, unknown>;
  let checked;
  try {
    checked = registrablePartnerJwk(jwk, allowedAlgorithms);
  } catch (error) {
    throw new ConfigError(field, error instanceof GatewayError ? error.message : String(error));
  }
  return {
    administration,
    kid: checked.kid,
    jwk: checked,
    notBefore: optionalDate(notBefore, `${field}/notBefore`),
    notAfter: optionalDate(notAfter, `${field}/notAfter`),
    revokedAt: null,
    revocationReason: null,
    addedAt: new Date(),
  };
}

function optionalDate(value: unknown, field: string): Date | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw new ConfigError(field, 'must be an RFC 3339 date-time');
  return new Date(value);
}
