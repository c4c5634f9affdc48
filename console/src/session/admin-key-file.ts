import { importJWK, type JWK } from 'jose';
import { ADMIN_TOKEN_ALGORITHMS } from '../../../src/admin/admin-key.js';
import { algorithmFor } from '../../../src/admin/admin-token-format.js';

/** An administrator key as the console holds it: a non-extractable WebCrypto key and its kid. */
export interface ConsoleSigningKey {
  kid: string;
  alg: string;
  /** Imported with extractable false: the page can sign with it, but nothing (not even this code) can read it back. */
  privateKey: CryptoKey;
}

/** Why a key file cannot be used, in words for the administrator. */
export class KeyFileError extends Error {}

/** A private JWK is a few hundred bytes (an RSA-3072 one about 2.5 KB); anything far larger is not one. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * Reads an administrator's private JWK file (as `mra admin keygen` writes it) and imports the key
 * into WebCrypto as non-extractable. The file's text and the parsed JWK are dropped once the key is
 * imported; the key never leaves the page, and closing the tab forgets it.
 */
export async function importAdminKeyFile(file: File): Promise<ConsoleSigningKey> {
  if (file.size > MAX_KEY_FILE_BYTES) throw new KeyFileError(`${file.name} is ${file.size} bytes: an administrator key file is a small JSON document (a private JWK).`);
  let jwk: unknown;
  try {
    jwk = JSON.parse(await file.text());
  } catch {
    throw new KeyFileError(`${file.name} is not JSON: open the private key file that "mra admin keygen" wrote (a JWK).`);
  }
  try {
    return await importAdminJwk(jwk, file.name);
  } finally {
    forget(jwk);
  }
}

async function importAdminJwk(jwk: unknown, name: string): Promise<ConsoleSigningKey> {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new KeyFileError(`${name} is not a JWK (a JSON object).`);
  const key = jwk as JWK;
  if (Array.isArray((jwk as { keys?: unknown }).keys)) {
    throw new KeyFileError(`${name} is a key set (like admin-keys.json), not your private key: open the file "mra admin keygen" wrote for you.`);
  }
  if (typeof key.d !== 'string') {
    throw new KeyFileError(`${name} holds a public key (no "d"): the console signs with your private key, which stays in this page.`);
  }
  if (typeof key.kid !== 'string' || key.kid === '') throw new KeyFileError(`${name} has no "kid": the gateway finds your key by it.`);
  const alg = algorithmFor(key);
  if (!(ADMIN_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new KeyFileError(`${name} is a key for ${alg}; admin tokens are signed with ${ADMIN_TOKEN_ALGORITHMS.join(', ')}.`);
  }
  let privateKey: CryptoKey;
  try {
    const imported = await importJWK(key, alg, { extractable: false });
    if (!(imported instanceof CryptoKey)) throw new Error('not an asymmetric key');
    privateKey = imported;
  } catch (error) {
    throw new KeyFileError(`${name} is not a usable ${alg} private key (${(error as Error).message}).`);
  }
  if (privateKey.extractable || privateKey.type !== 'private') throw new KeyFileError(`${name} could not be held as a non-extractable private key.`);
  return { kid: key.kid, alg, privateKey };
}

/** Blanks the parsed file's members, so the key material is not left in an object someone might keep. */
function forget(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  for (const name of Object.keys(value)) (value as Record<string, unknown>)[name] = undefined;
}
