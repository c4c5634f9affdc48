/**
 * What anyone who sees a partner's signed message can do to its body without the partner's key: the
 * signed payload stays the same, the body (and its digest) changes. Rule 7 must not let such a body,
 * sent first, turn the partner's own submission into a conflict.
 */

interface Flattened {
  protected: string;
  payload: string;
  signature: string;
  header?: Record<string, unknown>;
  [member: string]: unknown;
}

/** The order of the P-256 group. */
const P256_N = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');

export function compactToFlattened(compact: string): Flattened {
  const [protectedHeader, payload, signature] = compact.trim().split('.');
  return { protected: protectedHeader!, payload: payload!, signature: signature! };
}

/** An unprotected header member added to a flattened JWS (it is not signed). */
export function withUnprotectedHeader(flattened: string, header: Record<string, unknown>): string {
  const jws = JSON.parse(flattened) as Flattened;
  return JSON.stringify({ ...jws, header: { ...jws.header, ...header } });
}

/** A member the JWS JSON serialization does not define, added to a flattened JWS. */
export function withExtraMember(flattened: string, name: string, value: unknown): string {
  return JSON.stringify({ ...(JSON.parse(flattened) as Flattened), [name]: value });
}

/** The same body with white space around it (and, for the JSON form, inside it). */
export function withWhiteSpace(body: string): string {
  return body.startsWith('{') ? `\n  ${JSON.stringify(JSON.parse(body), null, 4)}\n\n` : `\r\n  ${body}\t\n`;
}

/** The other valid ES256 signature over the same input: (r, s) becomes (r, n - s), which verifies too. */
export function highSTwin(compact: string): string {
  const [protectedHeader, payload, signature] = compact.trim().split('.');
  const bytes = Buffer.from(signature!, 'base64url');
  if (bytes.length !== 64) throw new Error('highSTwin takes ES256 (P-256) signatures');
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
  const twin = Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex');
  return `${protectedHeader}.${payload}.${Buffer.concat([bytes.subarray(0, 32), twin]).toString('base64url')}`;
}
