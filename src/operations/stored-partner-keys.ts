import type { Logger } from 'winston';
import { partnerKeyState, partnerKeyWeakness, type PartnerKey } from '../domain/partner-key.js';

/** What the start-up scan finds among the stored partner keys. */
export interface StoredPartnerKeyFindings {
  /** Keys in state `unsafe` (weak or degenerate material, not revoked): never used. */
  unsafe: { administration: string; kid: string; reason: string }[];
  /** Kids that name keys of several administrations, counting only keys that verify or may yet (pending, active, retiring). */
  sharedKids: { kid: string; administrations: string[] }[];
}

/**
 * Looks through the stored partner keys for what older versions let in: keys whose material is weak
 * or degenerate, and one kid registered for several administrations. Neither is dangerous any more
 * (an unsafe key is never used; with a shared kid, the key that verifies names the sender), but both
 * need an administrator: revoke the unsafe key, and register the administrations' keys under kids of
 * their own.
 */
export function storedPartnerKeyFindings(keys: readonly PartnerKey[], now: Date): StoredPartnerKeyFindings {
  const unsafe: StoredPartnerKeyFindings['unsafe'] = [];
  const holders = new Map<string, Set<string>>();
  for (const key of keys) {
    const state = partnerKeyState(key, now);
    if (state === 'unsafe') unsafe.push({ administration: key.administration, kid: key.kid, reason: partnerKeyWeakness(key)! });
    if (state === 'pending' || state === 'active' || state === 'retiring') holders.set(key.kid, (holders.get(key.kid) ?? new Set()).add(key.administration));
  }
  const sharedKids = [...holders].filter(([, administrations]) => administrations.size > 1).map(([kid, administrations]) => ({ kid, administrations: [...administrations].sort() }));
  return { unsafe, sharedKids };
}

/**
 * The start-up scan: one error line for each unsafe key (administration, kid, reason; never key
 * material) and for each kid shared by administrations (kid, administrations).
 */
export async function reportStoredPartnerKeys(store: { all(): Promise<PartnerKey[]> }, now: Date, logger: Logger): Promise<StoredPartnerKeyFindings> {
  const findings = storedPartnerKeyFindings(await store.all(), now);
  for (const { administration, kid, reason } of findings.unsafe) {
    logger.error('unsafe partner key in the store: it is never used; revoke it', { administration, kid, reason });
  }
  for (const { kid, administrations } of findings.sharedKids) {
    logger.error('one kid names keys of several administrations: register each administration\'s key under a kid of its own, then revoke the duplicates', { kid, administrations });
  }
  return findings;
}
