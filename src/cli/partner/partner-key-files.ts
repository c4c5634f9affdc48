import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { chmodSync } from 'node:fs';
import { CliError } from '../cli-error.js';
import { readJsonFile, writeOutputFile } from '../cli-files.js';

export { readableByOthers } from '../cli-files.js';

/** Algorithms the tool generates keys for: the gateway's default allowlist. */
export const KEY_ALGORITHMS = ['ES256', 'ES384', 'PS256', 'EdDSA'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/**
 * The member of a private key file (a JWK; RFC 7517 allows members of one's own) that names the
 * administration the key was made for, so that a list of another administration is never signed with
 * it. Key files written before it existed have none: they are still read, unchecked.
 */
export const ADMINISTRATION_MEMBER = 'mra:administration';

/** The two-letter code of an administration in the MRA registry (EU, JP, ...). */
export const ADMINISTRATION_CODE = /^[A-Z]{2}$/;

/** Members of a JWK that are private (or symmetric) key material. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A private key read from its file, ready to sign. */
export interface SigningKey {
  kid: string;
  alg: string;
  key: CryptoKey | KeyObject | Uint8Array;
  /** The administration the file says the key belongs to; undefined for key files without it. */
  administration: string | undefined;
  /** The public half, as CBP registers it. */
  publicJwk: JWK;
}

export interface GeneratedKey {
  kid: string;
  /** The public JWK to hand to CBP for registration (kid, alg, use included). */
  publicJwk: JWK;
  /** Where the private key was written (mode 0600). */
  privateKeyFile: string;
}

/**
 * Generates a signing key pair and writes the private JWK, with the administration it is for, to
 * `privateKeyFile` with mode 0600 (creating its folder), refusing to overwrite an existing file unless
 * `force`. The kid defaults to `<administration>-<date>-<thumbprint prefix>`: unique, and readable in
 * key lists during a rollover.
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
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: options.alg, use: 'sig', [ADMINISTRATION_MEMBER]: options.administration };
  writeOutputFile(options.privateKeyFile, `${JSON.stringify(privateJwk, null, 2)}\n`, {
    mode: 0o600,
    ...(options.force ? {} : { exclusive: { hint: 'pass --force to replace it (the key in it is then lost)' } }),
  });
  // A file replaced with --force keeps its old mode otherwise.
  if (options.force) chmodSync(options.privateKeyFile, 0o600);
  return { kid, publicJwk, privateKeyFile: options.privateKeyFile };
}

/** Reads a private JWK written by `generatePartnerKey` (or any private JWK with kid and alg). */
export async function readSigningKey(file: string): Promise<SigningKey> {
  const jwk = readJsonFile(file, 'the private key') as JWK | null;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk) || typeof jwk.d !== 'string') throw new CliError('invalid-key', `${file} does not hold a private key (no "d")`);
  if (typeof jwk.kid !== 'string' || jwk.kid === '') throw new CliError('invalid-key', `${file} has no "kid"; the gateway finds your key by it`);
  if (typeof jwk.alg !== 'string' || !(KEY_ALGORITHMS as readonly string[]).includes(jwk.alg)) {
    throw new CliError('invalid-key', `${file} needs "alg", one of ${KEY_ALGORITHMS.join(', ')}`);
  }
  const administration = (jwk as Record<string, unknown>)[ADMINISTRATION_MEMBER];
  if (administration !== undefined && (typeof administration !== 'string' || !ADMINISTRATION_CODE.test(administration))) {
    throw new CliError('invalid-key', `${file}: "${ADMINISTRATION_MEMBER}" must be a two-letter administration code such as EU`);
  }
  let key: SigningKey['key'];
  try {
    key = await importJWK(jwk, jwk.alg);
  } catch (error) {
    throw new CliError('invalid-key', `${file} is not a usable ${jwk.alg} key: ${(error as Error).message}`);
  }
  return { kid: jwk.kid, alg: jwk.alg, key, administration, publicJwk: publicHalf(jwk) };
}

/** The public JWK of a private one: its key type and public numbers, with kid, alg and use. */
export function publicHalf(jwk: JWK): JWK {
  const entries = Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.includes(name) && name !== ADMINISTRATION_MEMBER && name !== 'key_ops' && name !== 'ext');
  return Object.fromEntries(entries);
}
