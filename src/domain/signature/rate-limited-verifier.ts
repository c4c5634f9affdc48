import type { Clock } from '../clock.js';
import { GatewayError } from '../gateway-error.js';
import type { PartnerKeyDirectory } from '../partner-key.js';
import type { TokenBuckets } from '../token-bucket.js';
import type { JwsSerialization } from './jws-envelope.js';
import { MemberListVerifier, type VerifiedSubmission } from './member-list-verifier.js';

/**
 * A MemberListVerifier that also counts submissions per authenticated administration. Only a verified
 * signature names the administration, so this is where the count can be made: a stranger cannot use
 * up a partner's allowance by claiming its kid, and a partner's runaway client is stopped with 429
 * before anything is validated or stored. Passed to the intake in place of the plain verifier.
 */
export class RateLimitedVerifier extends MemberListVerifier {
  constructor(
    keys: PartnerKeyDirectory,
    private readonly limitClock: Clock,
    allowedAlgorithms: readonly string[],
    private readonly perAdministration: TokenBuckets,
  ) {
    super(keys, limitClock, allowedAlgorithms);
  }

  override async verify(body: Buffer, serialization: JwsSerialization): Promise<VerifiedSubmission> {
    const verified = await super.verify(body, serialization);
    const admission = this.perAdministration.take(verified.administration, this.limitClock.now().getTime());
    if (!admission.allowed) {
      const retryAfter = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
      throw new GatewayError('rate-limited', `Administration ${verified.administration} sent too many member lists; retry in ${retryAfter} s.`, {
        extensions: { retryAfter },
      });
    }
    return verified;
  }
}
