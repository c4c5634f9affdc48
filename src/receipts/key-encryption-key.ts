import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'winston';
import { ConfigError, type AppConfig } from '../config/app-config.js';
import { KEK_BYTES, keyEncryptionKeyId } from './receipt-key-sealing.js';

/** The embedded store's own KEK, in DATA_DIR, when none is configured. */
export const GENERATED_KEK_FILE = 'receipt-key-encryption.key';

const FILE_FIELD = 'RECEIPT_KEY_ENCRYPTION_KEY_FILE';

/**
 * The key-encryption key (KEK) that seals the receipt private keys in the store, at start-up:
 * - RECEIPT_KEY_ENCRYPTION_KEY_FILE: a file of 32 random bytes, raw or as base64 or base64url text;
 * - RECEIPT_KEY_ENCRYPTION_KEY: the key in base64 (decoded and checked by loadConfig);
 * - neither, with the embedded store: DATA_DIR/receipt-key-encryption.key, created (0600, 32 random
 *   bytes) on first start. That keeps the keys safe in a copy of the database file alone, not in a
 *   copy of DATA_DIR, so every start using it says so at warn.
 * - neither, with DATABASE_URL: refused (loadConfig refuses it already), since every instance on the
 *   shared store must hold the same KEK.
 * A key of any other length stops start-up with a ConfigError naming the setting.
 */
export function loadKeyEncryptionKey(config: Pick<AppConfig, 'receiptKeyEncryption' | 'dataDir' | 'database'>, logger: Logger): Buffer {
  const source = config.receiptKeyEncryption;
  if (source !== undefined) {
    const kek = 'key' in source ? checkedLength(source.key, 'RECEIPT_KEY_ENCRYPTION_KEY') : keyEncryptionKeyFrom(readKeyFile(source.file, FILE_FIELD), FILE_FIELD);
    logger.info('receipt key encryption key loaded', { kek: keyEncryptionKeyId(kek), from: 'key' in source ? 'RECEIPT_KEY_ENCRYPTION_KEY' : FILE_FIELD });
    return kek;
  }
  if (config.database !== undefined) {
    throw new ConfigError(FILE_FIELD, 'or RECEIPT_KEY_ENCRYPTION_KEY is required with DATABASE_URL: every gateway instance on the shared store needs the same key-encryption key');
  }
  const file = path.join(config.dataDir, GENERATED_KEK_FILE);
  const field = `DATA_DIR/${GENERATED_KEK_FILE}`;
  const existing = readKeyFile(file, field, true);
  const created = existing === undefined;
  const kek = created ? createKeyFile(file, field) : keyEncryptionKeyFrom(existing, field);
  logger.warn(
    'the receipt keys are sealed with a key-encryption key kept in DATA_DIR beside the store: a production deployment should keep it apart from the data (RECEIPT_KEY_ENCRYPTION_KEY_FILE or RECEIPT_KEY_ENCRYPTION_KEY)',
    { file, created, kek: keyEncryptionKeyId(kek) },
  );
  return kek;
}

/**
 * A KEK file's content as the key: exactly 32 raw bytes, or base64 or base64url text (padded or not,
 * surrounding white space ignored) of 32 bytes. 32 bytes that are all printable text are refused:
 * that is a password or hex of 16 bytes, not a random key.
 */
export function keyEncryptionKeyFrom(content: Buffer, field: string): Buffer {
  if (content.length === KEK_BYTES && !printable(content)) return Buffer.from(content);
  const text = content.toString('latin1').trim();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) || /^[A-Za-z0-9_-]+={0,2}$/.test(text)) {
    // Node's base64 decoder reads the base64url alphabet too.
    return checkedLength(Buffer.from(text, 'base64'), field, 'base64 text of ');
  }
  throw new ConfigError(field, `must hold a key of ${KEK_BYTES} random bytes, raw or as base64 or base64url text; it holds ${content.length} bytes that are neither (generate one with: openssl rand -base64 32)`);
}

function checkedLength(key: Buffer, field: string, form = ''): Buffer {
  if (key.length !== KEK_BYTES) throw new ConfigError(field, `must be ${form}${KEK_BYTES} random bytes, not ${key.length} (generate one with: openssl rand -base64 32)`);
  return key;
}

function readKeyFile(file: string, field: string, mayBeMissing: true): Buffer | undefined;
function readKeyFile(file: string, field: string): Buffer;
function readKeyFile(file: string, field: string, mayBeMissing = false): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && mayBeMissing) return undefined;
    throw new ConfigError(field, `${file} cannot be read (${code ?? (error as Error).message})`);
  }
}

/**
 * Writes a new KEK where none is, durably before any key is sealed under it: written and synced beside
 * the file, then linked into place (which fails rather than replace a KEK that appeared meanwhile).
 */
function createKeyFile(file: string, field: string): Buffer {
  let kek = randomBytes(KEK_BYTES);
  // Read back, it must be taken for raw bytes (about one key in 10^14 is all printable text).
  while (printable(kek)) kek = randomBytes(KEK_BYTES);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    // One left by a start that crashed here (in a container the pid is the same every time).
    rmSync(temporary, { force: true });
    writeFileSync(temporary, kek, { mode: 0o600, flag: 'wx' });
    const fd = openSync(temporary, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temporary, file);
    } catch (error) {
      // A file system without hard links: DATA_DIR belongs to this one process, so a rename will do.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw error;
      renameSync(temporary, file);
    }
    syncDirectory(path.dirname(file));
  } catch (error) {
    throw new ConfigError(field, `${file} cannot be created (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  } finally {
    rmSync(temporary, { force: true });
  }
  return kek;
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not every platform syncs a directory (Windows); the file itself is synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function printable(bytes: Buffer): boolean {
  return bytes.every((b) => b >= 0x20 && b < 0x7f);
}
