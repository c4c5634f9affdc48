import type { JWK } from 'jose';
import { GatewayError } from './gateway-error.js';
import { publicKeyWeakness } from './public-key-strength.js';
import { describeRefusedCharacter, refusedCharacter } from './text-characters.js';

/** Members that only a private key has (RFC 7518 6.2.2, 6.3.2; RFC 8037 2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const CURVE_FOR_ALG: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/**
 * Why `kid` cannot name a key, or undefined when it can: a string of 1 to 256 characters, acceptable as
 * text (text-characters: well-formed Unicode, no control, separator or bidi formatting character).
 * Kids end up in log lines, audit entries and published records, where such characters would forge or
 * hide text.
 */
export function kidFault(kid: unknown): string | undefined {
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) return '"kid" must be a string of 1 to 256 characters';
  const refused = refusedCharacter(kid);
  return refused ? `"kid" ${describeRefusedCharacter(refused)}` : undefined;
}

/**
 * Checks that a JWK is acceptable as a partner's public signing key: a public key (never private,
 * never symmetric), of a type that fits an allowed algorithm, a safe kid, and key material that is
 * neither weak nor degenerate (publicKeyWeakness: RSA of 2048 bits or more with e = 65537, an EC point
 * on its curve, an Ed25519 point of prime order, each canonically encoded). Problems are 400
 * `invalid-partner-key` errors that name what is wrong.
 */
export function checkPartnerJwk(value: unknown, allowedAlgorithms: readonly string[]): JWK & { kid: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('a JWK is a JSON object');
  const jwk = value as JWK;
  for (const member of PRIVATE_MEMBERS) {
    if (member in jwk) throw invalid(`it contains "${member}": register public keys only, never private or symmetric keys`);
  }
  const kidProblem = kidFault(jwk.kid);
  if (kidProblem !== undefined) throw invalid(kidProblem);
  if (jwk.use !== undefined && jwk.use !== 'sig') throw invalid('"use" must be "sig"');
  if (jwk.alg !== undefined && !allowedAlgorithms.includes(jwk.alg)) {
    throw invalid(`"alg" ${jwk.alg} is not allowed (allowed: ${allowedAlgorithms.join(', ')})`);
  }
  const algs = jwk.alg !== undefined ? [jwk.alg] : allowedAlgorithms;
  switch (jwk.kty) {
    case 'RSA': {
      if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw invalid('an RSA key needs "n" and "e"');
      if (!algs.some((a) => /^(PS|RS)\d{3}$/.test(a))) throw invalid('no allowed algorithm uses RSA keys');
      break;
    }
    case 'EC': {
      if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw invalid('an EC key needs "x" and "y"');
      if (!algs.some((a) => CURVE_FOR_ALG[a] === jwk.crv)) throw invalid(`curve ${String(jwk.crv)} does not fit an allowed algorithm`);
      break;
    }
    case 'OKP': {
      if (typeof jwk.x !== 'string') throw invalid('an OKP key needs "x"');
      if (jwk.crv !== 'Ed25519' || !algs.some((a) => a === 'EdDSA' || a === 'Ed25519')) throw invalid(`curve ${String(jwk.crv)} does not fit an allowed algorithm`);
      break;
    }
    default:
      throw invalid(`key type ${String(jwk.kty)} is not accepted (RSA, EC or OKP)`);
  }
  const weakness = publicKeyWeakness(jwk);
  if (weakness !== undefined) throw invalid(weakness);
  return jwk as JWK & { kid: string };
}

function invalid(detail: string): GatewayError {
  return new GatewayError('invalid-partner-key', `Partner key refused: ${detail}.`);
}
