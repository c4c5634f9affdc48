import type { Clock } from '../clock.js';
import { GatewayError } from '../gateway-error.js';
import type { TokenBuckets } from '../token-bucket.js';

/** Decides, once the signature names the sender, whether this administration may submit now. */
export type AdministrationAdmission = (administration: string) => void;

/**
 * Counts submissions per authenticated administration. Only a verified signature names the
 * administration, so a stranger cannot use up a partner's allowance by claiming its kid; a partner's
 * runaway client is stopped with 429 (and, being authenticated, gets a signed receipt saying so)
 * before anything is validated or stored.
 */
export function rateLimitedAdmission(buckets: TokenBuckets, clock: Clock): AdministrationAdmission {
  return (administration) => {
    const admission = buckets.take(administration, clock.now().getTime());
    if (admission.allowed) return;
    const retryAfter = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
    throw new GatewayError('rate-limited', `Administration ${administration} sent too many member lists; retry in ${retryAfter} s.`, {
      extensions: { retryAfter },
    });
  };
}
