import { calculateJwkThumbprint, type JWK } from 'jose';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAdminKeys } from '../../config/admin-key-file.js';
import { ConfigError } from '../../config/app-config.js';
import { CliError, errorCode } from '../cli-error.js';
import { readJsonFile, replaceFile } from '../cli-files.js';
import type { AdminPublicKey } from './admin-keygen.js';

/** Members of a JWK that are private (or symmetric) key material. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Where the gateway reads its administrators' keys: CONFIG_DIR (default ./config)/admin-keys.json. */
export function defaultAdminKeysFile(env: Record<string, string | undefined>): string {
  return path.join(env.CONFIG_DIR !== undefined && env.CONFIG_DIR !== '' ? env.CONFIG_DIR : 'config', 'admin-keys.json');
}

/** A public JWK from a file (a JWK, or a JWK Set with one key); a private key is refused. */
export function readPublicJwkFile(file: string, option: string): JWK & Record<string, unknown> {
  let parsed = readJsonFile(file, 'a public JWK');
  const set = (parsed as { keys?: unknown } | null)?.keys;
  if (Array.isArray(set)) {
    if (set.length !== 1) throw new CliError('invalid-file', `${option} ${file}: a JWK Set must hold exactly one key here`);
    parsed = set[0];
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError('invalid-key', `${option} ${file} is not a JWK (a JSON object)`);
  if (PRIVATE_MEMBERS.some((m) => m in parsed)) throw new CliError('invalid-key', `${option} ${file} holds a private key; give the public key only`);
  return parsed as JWK & Record<string, unknown>;
}

export interface AddedAdminKey {
  /** False when the file already listed this very key (same kid, key and roles): nothing changed. */
  changed: boolean;
  /** The file's content after the change. */
  document: { keys: unknown[] };
  keyCount: number;
}

/**
 * Adds an administrator's public key to an admin-keys.json (created when absent), after checking the
 * whole resulting file the way the gateway does at start-up (loadAdminKeys: a JWK Set, every key
 * acceptable by the partner-key policy, roles known, each kid once). A file that would stop the gateway
 * is never written (exit code 3, naming the field). `dryRun` checks and returns the result only.
 */
export async function addAdminKey(file: string, entry: AdminPublicKey, options: { dryRun?: boolean } = {}): Promise<AddedAdminKey> {
  const existing = readExisting(file);
  const keys = existing.keys;
  const same = keys.findIndex((k) => (k as { kid?: unknown } | null)?.kid === entry.kid);
  if (same >= 0) {
    const other = keys[same] as JWK & { roles?: unknown };
    if ((await thumbprintOf(other)) === (await thumbprintOf(entry)) && JSON.stringify(other.roles ?? null) === JSON.stringify(entry.roles ?? null)) {
      check(file, existing);
      return { changed: false, document: existing, keyCount: keys.length };
    }
    throw new CliError('invalid-file', `${file} already has another key with kid "${entry.kid}" (keys/${same}): give this key another kid (mra admin keygen --kid), or remove that entry first`);
  }
  const document = { ...existing, keys: [...keys, entry] };
  check(file, document);
  if (!options.dryRun) replaceFile(file, `${JSON.stringify(document, null, 2)}\n`);
  return { changed: !options.dryRun, document, keyCount: document.keys.length };
}

function readExisting(file: string): { keys: unknown[] } {
  try {
    readFileSync(file);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { keys: [] };
  }
  const parsed = readJsonFile(file, 'the administrator key file') as { keys?: unknown } | null;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Array.isArray(parsed.keys)) {
    throw new CliError('invalid-file', `${file} must be a JWK Set: {"keys": [...]}`);
  }
  return parsed as { keys: unknown[] };
}

/** The gateway's own check, on the document as it would be written. */
function check(file: string, document: { keys: unknown[] }): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'mra-admin-keys-'));
  try {
    writeFileSync(path.join(dir, 'admin-keys.json'), JSON.stringify(document));
    loadAdminKeys(dir);
  } catch (error) {
    if (error instanceof ConfigError) {
      // "Configuration CONFIG_DIR/admin-keys.json/keys/1: ..." names the field; here it is the file given.
      const finding = error.message.replace('Configuration CONFIG_DIR/admin-keys.json', '').replace(/^\//, '').replace(/^:\s*/, '');
      throw new CliError('invalid-file', `the gateway would not start with this ${file}: ${finding}`);
    }
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function thumbprintOf(jwk: JWK): Promise<string | undefined> {
  try {
    return await calculateJwkThumbprint(jwk);
  } catch {
    return undefined;
  }
}
