import type { JWK } from 'jose';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Bytes in a key-encryption key (AES-256). */
export const KEK_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * A receipt private key as the store keeps it: the private JWK (JSON) encrypted with
 * AES-256-GCM under the key-encryption key (KEK) named by `kek`, with the key's kid as additional
 * authenticated data, so a sealed value only opens on the row of the key it was made for. All binary
 * members are base64url without padding.
 */
export interface SealedPrivateKey {
  sealed: 'v1';
  /** The KEK's id: the first 8 bytes of its SHA-256, base64url (names the KEK, reveals nothing of it). */
  kek: string;
  /** 12 random bytes, new for every seal. */
  iv: string;
  data: string;
  /** The 16-byte GCM tag. */
  tag: string;
}

/** A sealed private key that cannot be opened: another KEK, or a value that was altered or moved. */
export class ReceiptKeySealingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReceiptKeySealingError';
  }
}

/** Whether a stored private key is sealed (in the one form there is, v1); a plaintext JWK is not. */
export function isSealed(value: unknown): value is SealedPrivateKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return v.sealed === 'v1' && [v.kek, v.iv, v.data, v.tag].every((member) => typeof member === 'string');
}

/** The id a KEK is known by in sealed values and messages: the first 8 bytes of its SHA-256, base64url. */
export function keyEncryptionKeyId(kek: Uint8Array): string {
  return createHash('sha256').update(kek).digest().subarray(0, 8).toString('base64url');
}

/**
 * Seals and opens the gateway's receipt private keys with one KEK. Sealing happens above the store
 * ports: the store adapters keep the sealed value as JSON text like any other and never see a private
 * key, nor the KEK.
 */
export class ReceiptKeySealer {
  /** The configured KEK's id (see keyEncryptionKeyId). */
  readonly kekId: string;
  private readonly kek: Buffer;

  constructor(kek: Uint8Array) {
    if (kek.length !== KEK_BYTES) throw new RangeError(`a key-encryption key has ${KEK_BYTES} bytes, not ${kek.length}`);
    this.kek = Buffer.from(kek);
    this.kekId = keyEncryptionKeyId(this.kek);
  }

  seal(kid: string, privateJwk: JWK): SealedPrivateKey {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const data = Buffer.concat([cipher.update(JSON.stringify(privateJwk), 'utf8'), cipher.final()]);
    return { sealed: 'v1', kek: this.kekId, iv: iv.toString('base64url'), data: data.toString('base64url'), tag: cipher.getAuthTag().toString('base64url') };
  }

  /** The private JWK of key `kid`; throws ReceiptKeySealingError when it was sealed under another KEK, altered, or is another key's. */
  unseal(kid: string, sealed: SealedPrivateKey): JWK {
    if (sealed.kek !== this.kekId) {
      throw new ReceiptKeySealingError(
        `receipt key "${kid}" is sealed under key-encryption key ${sealed.kek}, but the configured key-encryption key is ${this.kekId}: ` +
          'configure the key it was sealed with (RECEIPT_KEY_ENCRYPTION_KEY_FILE or RECEIPT_KEY_ENCRYPTION_KEY)',
      );
    }
    const iv = binary(sealed.iv, IV_BYTES);
    const tag = binary(sealed.tag, TAG_BYTES);
    const data = binary(sealed.data);
    let plaintext: string;
    try {
      if (!iv || !tag || !data) throw new Error('malformed');
      // authTagLength: without it, Node accepts a tag cut short to as little as 4 bytes.
      const decipher = createDecipheriv('aes-256-gcm', this.kek, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(kid, 'utf8'));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    } catch {
      throw new ReceiptKeySealingError(
        `the sealed private key of receipt key "${kid}" does not open under key-encryption key ${this.kekId}: it was altered, or belongs to another key`,
      );
    }
    return JSON.parse(plaintext) as JWK;
  }
}

/** Base64url text as bytes (of exactly `length` when given); undefined when it is not that. */
function binary(text: string, length?: number): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return undefined;
  return length === undefined || bytes.length === length ? bytes : undefined;
}
