import { partnerKeyWeakness, type PartnerKey } from '../domain/partner-key.js';

/**
 * Seconds from `now` until an administration is left without a usable signing key, taking every key
 * into account: a key that becomes active (notBefore) before the current one expires extends the
 * horizon, which is exactly the overlap a planned rollover creates. Revoked keys count until their
 * revocation time. Unsafe keys (weak or degenerate material, see partnerKeyState) never count: they
 * are never used. `Infinity` when a key without notAfter covers the future; 0 when no key is usable
 * now.
 */
export function keyExpiryHorizonSeconds(keys: readonly PartnerKey[], now: Date): number {
  const windows = keys
    .filter((key) => partnerKeyWeakness(key) === undefined)
    .map((key) => ({ start: key.notBefore?.getTime() ?? -Infinity, end: endOf(key) }))
    .filter((w) => w.end > w.start);
  const start = now.getTime();
  let coveredUntil = start;
  for (;;) {
    // Extend the covered span with any window that starts within it and reaches beyond it.
    const next = Math.max(coveredUntil, ...windows.filter((w) => w.start <= coveredUntil && w.end > coveredUntil).map((w) => w.end));
    if (next === coveredUntil) break;
    coveredUntil = next;
    if (coveredUntil === Infinity) return Infinity;
  }
  return (coveredUntil - start) / 1000;
}

function endOf(key: PartnerKey): number {
  const ends = [key.notAfter?.getTime() ?? Infinity, key.revokedAt?.getTime() ?? Infinity];
  return Math.min(...ends);
}
