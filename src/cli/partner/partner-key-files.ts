import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { PartnerToolError } from './partner-tool-error.js';

/** Algorithms the tool generates keys for: the gateway's default allowlist. */
export const KEY_ALGORITHMS = ['ES256', 'ES384', 'PS256', 'EdDSA'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** A private key read from its file, ready to sign. */
export interface SigningKey {
  kid: string;
  alg: string;
  key: CryptoKey | KeyObject | Uint8Array;
}

export interface GeneratedKey {
  kid: string;
  /** The public JWK to hand to CBP for registration (kid, alg, use included). */
  publicJwk: JWK;
  /** Where the private key was written (mode 0600). */
  privateKeyFile: string;
}

/**
 * Generates a signing key pair and writes the private JWK to `privateKeyFile` with mode 0600, refusing
 * to overwrite an existing file unless `force`. The kid defaults to `<administration>-<date>-<thumbprint
 * prefix>`: unique, and readable in key lists during a rollover.
 */
export async function generatePartnerKey(options: {
  administration: string;
  alg: KeyAlgorithm;
  kid?: string;
  privateKeyFile: string;
  force?: boolean;
  now?: Date;
}): Promise<GeneratedKey> {
  const { privateKey, publicKey } = await generateKeyPair(options.alg, { extractable: true, ...(options.alg === 'PS256' ? { modulusLength: 3072 } : {}) });
  const publicParts = await exportJWK(publicKey);
  const date = (options.now ?? new Date()).toISOString().slice(0, 10);
  const kid = options.kid ?? `${options.administration.toLowerCase()}-${date}-${(await calculateJwkThumbprint(publicParts)).slice(0, 8)}`;
  const publicJwk: JWK = { ...publicParts, kid, alg: options.alg, use: 'sig' };
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: options.alg, use: 'sig' };
  try {
    writeFileSync(options.privateKeyFile, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new PartnerToolError('file-exists', `${options.privateKeyFile} exists; pass --force to overwrite it`);
    throw new PartnerToolError('file-unreadable', `cannot write ${options.privateKeyFile}: ${code ?? String(error)}`);
  }
  return { kid, publicJwk, privateKeyFile: options.privateKeyFile };
}

/** Reads a private JWK written by `generatePartnerKey` (or any private JWK with kid and alg). */
export async function readSigningKey(file: string): Promise<SigningKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } catch (error) {
    if (error instanceof SyntaxError) throw new PartnerToolError('invalid-json', `${file} is not a JSON Web Key: ${error.message}`);
    throw new PartnerToolError('file-unreadable', `cannot read the key file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string') throw new PartnerToolError('invalid-key', `${file} does not hold a private key (no "d")`);
  if (typeof jwk.kid !== 'string' || jwk.kid === '') throw new PartnerToolError('invalid-key', `${file} has no "kid"; the gateway finds your key by it`);
  if (typeof jwk.alg !== 'string' || !(KEY_ALGORITHMS as readonly string[]).includes(jwk.alg)) {
    throw new PartnerToolError('invalid-key', `${file} needs "alg", one of ${KEY_ALGORITHMS.join(', ')}`);
  }
  try {
    return { kid: jwk.kid, alg: jwk.alg, key: await importJWK(jwk, jwk.alg) };
  } catch (error) {
    throw new PartnerToolError('invalid-key', `${file} is not a usable ${jwk.alg} key: ${(error as Error).message}`);
  }
}

/** Whether others than the owner may read the file (a private key should be 0600). */
export function readableByOthers(file: string): boolean {
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}
