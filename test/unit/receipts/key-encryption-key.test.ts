import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/app-config.js';
import { createLogger } from '../../../src/logging/logger.js';
import { GENERATED_KEK_FILE, keyEncryptionKeyFrom, loadKeyEncryptionKey } from '../../../src/receipts/key-encryption-key.js';
import { keyEncryptionKeyId } from '../../../src/receipts/receipt-key-sealing.js';
import { temporaryDirectories } from '../../support/temp-dirs.js';

const directory = temporaryDirectories('key-encryption-key-');

function capturedLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      done();
    },
  });
  return { logger: createLogger('debug', sink), lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** The KEK a gateway with this environment starts with (DATA_DIR: a fresh directory unless given). */
function load(env: Record<string, string>, logger = capturedLogger().logger): Buffer {
  return loadKeyEncryptionKey(loadConfig({ DATA_DIR: directory(), ...env }), logger);
}

function configErrorOf(work: () => unknown): ConfigError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('no ConfigError');
}

function keyFile(content: string | Buffer): string {
  const file = path.join(directory(), 'kek');
  writeFileSync(file, content);
  return file;
}

describe('RECEIPT_KEY_ENCRYPTION_KEY_FILE', () => {
  const kek = randomBytes(32);

  it.each([
    ['raw bytes', kek],
    ['base64', kek.toString('base64')],
    ['base64 with a final newline', `${kek.toString('base64')}\n`],
    ['base64url', kek.toString('base64url')],
    ['base64url padded, with white space around it', `  ${kek.toString('base64url')}=\r\n`],
  ])('reads a key written as %s', (_form, content) => {
    const { logger, lines } = capturedLogger();
    expect(load({ RECEIPT_KEY_ENCRYPTION_KEY_FILE: keyFile(content) }, logger).equals(kek)).toBe(true);
    expect(lines()).toEqual([expect.objectContaining({ level: 'info', kek: keyEncryptionKeyId(kek), from: 'RECEIPT_KEY_ENCRYPTION_KEY_FILE' })]);
  });

  it.each([
    ['16 raw bytes', randomBytes(16)],
    ['33 raw bytes', randomBytes(33)],
    ['raw bytes with a newline', Buffer.concat([kek, Buffer.from('\n')])],
    ['base64 of 16 bytes', randomBytes(16).toString('base64')],
    ['base64 of 48 bytes', randomBytes(48).toString('base64')],
    ['32 characters of hex', randomBytes(16).toString('hex')],
    ['64 characters of hex', randomBytes(32).toString('hex')],
    ['a password', 'correct horse battery staple'],
    ['nothing', ''],
  ])('refuses %s, naming the setting and never the content', (_what, content) => {
    const error = configErrorOf(() => load({ RECEIPT_KEY_ENCRYPTION_KEY_FILE: keyFile(content) }));
    expect(error.field).toBe('RECEIPT_KEY_ENCRYPTION_KEY_FILE');
    expect(error.message).toMatch(/32 random bytes/);
    if (content.length >= 8) expect(error.message).not.toContain(content.toString().trim());
  });

  it('refuses a file that cannot be read', () => {
    const error = configErrorOf(() => load({ RECEIPT_KEY_ENCRYPTION_KEY_FILE: path.join(directory(), 'missing') }));
    expect(error.field).toBe('RECEIPT_KEY_ENCRYPTION_KEY_FILE');
    expect(error.message).toContain('cannot be read (ENOENT)');
  });

  it('refuses the file and the key set both', () => {
    const error = configErrorOf(() => loadConfig({ RECEIPT_KEY_ENCRYPTION_KEY_FILE: keyFile(kek), RECEIPT_KEY_ENCRYPTION_KEY: kek.toString('base64') }));
    expect(error.field).toBe('RECEIPT_KEY_ENCRYPTION_KEY');
  });
});

describe('RECEIPT_KEY_ENCRYPTION_KEY', () => {
  it('takes the key in base64 (or base64url)', () => {
    const kek = randomBytes(32);
    expect(load({ RECEIPT_KEY_ENCRYPTION_KEY: kek.toString('base64') }).equals(kek)).toBe(true);
    expect(load({ RECEIPT_KEY_ENCRYPTION_KEY: kek.toString('base64url') }).equals(kek)).toBe(true);
  });

  it.each([
    ['16 bytes', randomBytes(16).toString('base64')],
    ['31 bytes', randomBytes(31).toString('base64')],
    ['64 bytes', randomBytes(64).toString('base64')],
    ['text that is not base64', 'not a key at all!'],
  ])('stops loadConfig on %s, naming the field and not the value', (_what, value) => {
    const error = configErrorOf(() => loadConfig({ RECEIPT_KEY_ENCRYPTION_KEY: value }));
    expect(error.field).toBe('RECEIPT_KEY_ENCRYPTION_KEY');
    expect(error.message).not.toContain(value);
  });
});

describe('no key-encryption key configured', () => {
  it('with the embedded store: creates DATA_DIR/receipt-key-encryption.key (0600, 32 random bytes) once, and says at warn to keep it apart', () => {
    const dataDir = path.join(directory(), 'data-not-yet-made');
    const first = capturedLogger();
    const kek = load({ DATA_DIR: dataDir }, first.logger);
    const file = path.join(dataDir, GENERATED_KEK_FILE);
    expect(kek).toHaveLength(32);
    expect(readFileSync(file).equals(kek)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const warnings = first.lines().filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ file, created: true, kek: keyEncryptionKeyId(kek) });
    expect(warnings[0]!.message).toMatch(/production deployment should keep it apart from the data/);

    // The next start uses the same file, as it is.
    const second = capturedLogger();
    expect(load({ DATA_DIR: dataDir }, second.logger).equals(kek)).toBe(true);
    expect(second.lines().filter((line) => line.level === 'warn')).toEqual([expect.objectContaining({ created: false })]);
  });

  it('with the embedded store: a generated file of the wrong length stops start-up, naming it', () => {
    const dataDir = directory();
    writeFileSync(path.join(dataDir, GENERATED_KEK_FILE), randomBytes(20));
    const error = configErrorOf(() => load({ DATA_DIR: dataDir }));
    expect(error.field).toBe(`DATA_DIR/${GENERATED_KEK_FILE}`);
  });

  it('with DATABASE_URL: refused, since every instance needs the same key', () => {
    const error = configErrorOf(() => loadConfig({ DATABASE_URL: 'postgres://gateway@db.example/mra' }));
    expect(error.field).toBe('RECEIPT_KEY_ENCRYPTION_KEY_FILE');
    expect(error.message).toMatch(/is required with DATABASE_URL: every gateway instance on the shared store needs the same key-encryption key/);
    // A configuration built without loadConfig is refused too, and no key file is made.
    const dataDir = directory();
    const withKey = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://gateway@db.example/mra', RECEIPT_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    const config = { ...withKey, receiptKeyEncryption: undefined };
    expect(configErrorOf(() => loadKeyEncryptionKey(config, capturedLogger().logger)).field).toBe('RECEIPT_KEY_ENCRYPTION_KEY_FILE');
    expect(() => statSync(path.join(dataDir, GENERATED_KEK_FILE))).toThrow(/ENOENT/);
    // With a key, DATABASE_URL is fine.
    const kek = randomBytes(32);
    expect(load({ DATABASE_URL: 'postgres://gateway@db.example/mra', RECEIPT_KEY_ENCRYPTION_KEY: kek.toString('base64') }).equals(kek)).toBe(true);
  });
});

describe('keyEncryptionKeyFrom', () => {
  it('takes 32 raw bytes as they are, unless they are all printable text', () => {
    const kek = randomBytes(32);
    kek[0] = 0x00;
    expect(keyEncryptionKeyFrom(kek, 'F').equals(kek)).toBe(true);
    expect(() => keyEncryptionKeyFrom(Buffer.from('0123456789abcdef0123456789abcdef'), 'F')).toThrow(ConfigError);
  });
});
