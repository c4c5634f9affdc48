import type { Clock } from '../clock.js';
import { GatewayError } from '../gateway-error.js';
import type { Admission, TokenBuckets } from '../token-bucket.js';

/** Decides, once the signature names the sender, whether this administration may submit now; throws 429 if not. */
export type AdministrationAdmission = (administration: string) => Promise<void>;

/**
 * Counts submissions per administration: takes one from the administration's allowance, or says how
 * long until there is one again. The store provides it (GatewayStore.administrationLimiter), so that
 * instances sharing a store share the allowance. A limiter whose own storage fails lets the
 * submission through (and says so in the log) rather than failing it: the intake's transaction then
 * answers for the store.
 */
export interface AdministrationLimiter {
  take(administration: string): Promise<Admission>;
}

/** One process's allowance per administration: token buckets in memory (the embedded store's limiter). */
export function inMemoryAdministrationLimiter(buckets: TokenBuckets, clock: Clock): AdministrationLimiter {
  return { take: async (administration) => buckets.take(administration, clock.now().getTime()) };
}

/**
 * Counts submissions per authenticated administration. Only a verified signature names the
 * administration, so a stranger cannot use up a partner's allowance by claiming its kid; a partner's
 * runaway client is stopped with 429 (and, being authenticated, gets a signed receipt saying so)
 * before anything is validated or stored.
 */
export function rateLimitedAdmission(limiter: AdministrationLimiter): AdministrationAdmission {
  return async (administration) => {
    const admission = await limiter.take(administration);
    if (admission.allowed) return;
    const retryAfter = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
    throw new GatewayError('rate-limited', `Administration ${administration} sent too many member lists; retry in ${retryAfter} s.`, {
      extensions: { retryAfter },
    });
  };
}
