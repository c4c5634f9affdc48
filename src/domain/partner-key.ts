import type { JWK } from 'jose';
import { publicKeyWeakness } from './public-key-strength.js';

/** A partner administration's public signing key with its validity window. */
export interface PartnerKey {
  administration: string;
  kid: string;
  /** Public JWK, as registered. */
  jwk: JWK;
  notBefore: Date | null;
  notAfter: Date | null;
  revokedAt: Date | null;
  revocationReason: string | null;
  addedAt: Date;
}

export type PartnerKeyState = 'pending' | 'active' | 'retiring' | 'expired' | 'revoked' | 'unsafe';

/**
 * Where a key stands at `now`. `retiring` is an active key with a notAfter set: it still verifies
 * until then, which gives partners an overlap window to roll over to their next key. `unsafe` is a key
 * whose material is weak or degenerate (partnerKeyWeakness), which only an older version can have let
 * into the store: it is never used, whatever its window says, until an administrator revokes it.
 */
export function partnerKeyState(key: PartnerKey, now: Date): PartnerKeyState {
  const t = now.getTime();
  if (key.revokedAt && key.revokedAt.getTime() <= t) return 'revoked';
  if (partnerKeyWeakness(key) !== undefined) return 'unsafe';
  if (key.notBefore && t < key.notBefore.getTime()) return 'pending';
  if (key.notAfter && t >= key.notAfter.getTime()) return 'expired';
  return key.notAfter ? 'retiring' : 'active';
}

export function isUsableAt(key: PartnerKey, now: Date): boolean {
  const state = partnerKeyState(key, now);
  return state === 'active' || state === 'retiring';
}

/** Weaknesses found so far, by key material: each submission asks about its key, the numbers never change. */
const weaknesses = new Map<string, string | null>();
const MAX_REMEMBERED = 4096;

/**
 * Why the key's public material is not safe to verify with (publicKeyWeakness), or undefined when it
 * is. Remembered per key material, so that looking at the same key again costs a map lookup, not the
 * BigInt or curve arithmetic.
 */
export function partnerKeyWeakness(key: PartnerKey): string | undefined {
  const jwk = key.jwk as Record<string, unknown>;
  const material = JSON.stringify([jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e]);
  let weakness = weaknesses.get(material);
  if (weakness === undefined) {
    weakness = publicKeyWeakness(key.jwk) ?? null;
    if (weaknesses.size >= MAX_REMEMBERED) weaknesses.clear();
    weaknesses.set(material, weakness);
  }
  return weakness ?? undefined;
}

/** Lookup of partner keys, implemented by the store. */
export interface PartnerKeyDirectory {
  /**
   * Every key with this kid, across administrations. A kid names one key of one administration, but a
   * store written by an older version may hold the same kid for several.
   */
  findByKid(kid: string): Promise<PartnerKey[]>;
}
