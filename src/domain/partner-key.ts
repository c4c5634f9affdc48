import type { JWK } from 'jose';

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

export type PartnerKeyState = 'pending' | 'active' | 'retiring' | 'expired' | 'revoked';

/**
 * Where a key stands at `now`. `retiring` is an active key with a notAfter set: it still verifies
 * until then, which gives partners an overlap window to roll over to their next key.
 */
export function partnerKeyState(key: PartnerKey, now: Date): PartnerKeyState {
  const t = now.getTime();
  if (key.revokedAt && key.revokedAt.getTime() <= t) return 'revoked';
  if (key.notBefore && t < key.notBefore.getTime()) return 'pending';
  if (key.notAfter && t >= key.notAfter.getTime()) return 'expired';
  return key.notAfter ? 'retiring' : 'active';
}

export function isUsableAt(key: PartnerKey, now: Date): boolean {
  const state = partnerKeyState(key, now);
  return state === 'active' || state === 'retiring';
}

/** Lookup of partner keys, implemented by the store. */
export interface PartnerKeyDirectory {
  /** Every key with this kid, across administrations (a kid is unique only within one administration). */
  findByKid(kid: string): Promise<PartnerKey[]>;
}
