import type { Clock } from '../clock.js';
import { GatewayError } from '../gateway-error.js';
import { isUsableAt, partnerKeyState, type PartnerKey, type PartnerKeyDirectory } from '../partner-key.js';
import { parseJwsEnvelope, type FlattenedSignature, type JwsSerialization } from './jws-envelope.js';
import { acceptHeader } from './jws-header-policy.js';
import { importVerificationKey, verifyJwsSignature, type VerificationKey } from './jws-signature-check.js';

/** What a verified submission proves: these payload bytes were signed by these keys of one administration. */
export interface VerifiedSubmission {
  payload: Uint8Array;
  /** The administration that owns every signing key. */
  administration: string;
  /** kid of the first signature (the one records cite). */
  kid: string;
  /** kid of every signature, in order (all keys of `administration`). */
  kids: string[];
}

/**
 * Verifies a member-list JWS (ICD 1 rule 2). Every signature present must verify with an active key of
 * the gateway's key store, and all signing keys must belong to the same administration. Verification
 * establishes the sender; whether the sender may speak for the payload's administration is rule 4.
 *
 * Signatures are checked with node:crypto (jws-signature-check.ts), not jose's `flattenedVerify`: on a
 * 40 MB list (50,000 members) jose spends about 375 ms, most of it re-encoding the 53 MB signing input
 * with TextEncoder and decoding the payload with an atob-based loop (about 250 ms), where node hashes
 * the text and decodes it natively. The acceptance rules and problem codes are jose's.
 */
export class MemberListVerifier {
  /** Keys prepared per algorithm; null for a key that does not fit the algorithm. */
  private readonly importedKeys = new Map<string, VerificationKey | null>();

  constructor(
    private readonly keys: PartnerKeyDirectory,
    private readonly clock: Clock,
    private readonly allowedAlgorithms: readonly string[],
  ) {}

  async verify(body: Buffer, serialization: JwsSerialization): Promise<VerifiedSubmission> {
    const signatures = parseJwsEnvelope(body, serialization);
    // Header policy for every signature first: a message with one bad header is refused before any
    // key lookup, whatever the other signatures say.
    const headers = signatures.map((signature) => acceptHeader(signature, this.allowedAlgorithms));
    const now = this.clock.now();
    let verified: { payload: Uint8Array; owner: string } | undefined;
    for (const [i, signature] of signatures.entries()) {
      const header = headers[i]!;
      const result = await this.verifyOne(signature, header.alg, header.kid, now);
      if (verified && verified.owner !== result.owner) {
        throw new GatewayError('administration-mismatch', 'All signatures of one message must be made with keys of the same administration.');
      }
      verified = result;
    }
    // parseJwsEnvelope never returns an empty list, so `verified` is set here.
    return { payload: verified!.payload, administration: verified!.owner, kid: headers[0]!.kid, kids: headers.map((header) => header.kid) };
  }

  private async verifyOne(signature: FlattenedSignature, alg: string, kid: string, now: Date) {
    const candidates = await this.keys.findByKid(kid);
    if (candidates.length === 0) throw new GatewayError('unknown-key', `No key with kid "${kid}" is registered.`);
    const usable = candidates.filter((key) => isUsableAt(key, now));
    if (usable.length === 0) {
      const states = [...new Set(candidates.map((key) => partnerKeyState(key, now)))].join(', ');
      throw new GatewayError('inactive-key', `The key "${kid}" is not active now (${states}).`);
    }
    // A kid is unique only within one administration, so a colliding kid may name several keys; the
    // key that verifies the signature identifies the sender.
    for (const key of usable) {
      const verificationKey = this.importKey(key, alg);
      if (!verificationKey) continue;
      // Undefined when the signature does not verify with this key; throws for a message that cannot be
      // verified as sent, or for a key that fits the algorithm but may not verify (e.g. a private key).
      const payload = verifyJwsSignature(signature, verificationKey);
      if (payload) return { payload, owner: key.administration };
    }
    throw new GatewayError('bad-signature', `The signature does not verify with key "${kid}".`);
  }

  /** Prepares (and caches) a registered key for one algorithm; undefined when key and algorithm do not fit. */
  private importKey(key: PartnerKey, alg: string): VerificationKey | undefined {
    const cacheKey = `${alg}\u0000${JSON.stringify(key.jwk)}`;
    const cached = this.importedKeys.get(cacheKey);
    if (cached !== undefined) return cached ?? undefined;
    const imported = importVerificationKey(key.jwk, alg);
    if (this.importedKeys.size > 10_000) this.importedKeys.clear();
    this.importedKeys.set(cacheKey, imported ?? null);
    return imported;
  }
}
