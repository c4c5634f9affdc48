/**
 * Every problem the gateway reports, by stable code. The problem document's `type` is
 * `urn:mra-gateway:problem:<code>`; partners switch on it, never on `title` or `detail`.
 */
export const problemTypes = {
  // Rule 1: transport
  'payload-too-large': { status: 413, title: 'Request body exceeds the configured limit' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'bad-content-encoding': { status: 400, title: 'The body cannot be decoded with its Content-Encoding' },
  // Rule 2: signature and key
  'malformed-jws': { status: 400, title: 'The body is not a JWS in the declared serialization' },
  'disallowed-algorithm': { status: 401, title: 'JWS algorithm is not allowed' },
  'invalid-jws-header': { status: 401, title: 'JWS protected header is not acceptable' },
  'unknown-key': { status: 401, title: 'No key with this kid is registered' },
  'inactive-key': { status: 401, title: 'The signing key is not active' },
  'bad-signature': { status: 401, title: 'The signature does not verify' },
  // Rule 3: payload
  'malformed-payload': { status: 422, title: 'The payload is not UTF-8 JSON' },
  'schema-violation': { status: 422, title: 'The payload does not match the member-list schema' },
  // Rule 4 and 5: who may send
  'administration-mismatch': { status: 403, title: 'The key belongs to another administration' },
  'mra-not-active': { status: 403, title: 'No active Mutual Recognition Arrangement with this administration' },
  // Member rules that need the arrangement (after rules 4 and 5)
  'invalid-members': { status: 422, title: 'Some members are not acceptable' },
  // Rule 6
  'issued-at-out-of-range': { status: 422, title: 'issuedAt is too far in the future or too old' },
  // Rule 7 and 8
  'message-id-conflict': { status: 409, title: 'This messageId was already accepted with a different signed payload' },
  'sequence-not-increasing': { status: 409, title: 'The message is not newer than the last accepted one' },
  // Administration (ICD 3)
  'invalid-partner-key': { status: 400, title: 'The key cannot be registered as a partner signing key' },
  'duplicate-kid': { status: 400, title: 'A key with this kid is already registered for the administration' },
  'kid-in-use': { status: 409, title: 'Another administration has a key with this kid' },
  'invalid-request': { status: 400, title: 'The request is not acceptable' },
  unauthorized: { status: 401, title: 'Authentication failed' },
  forbidden: { status: 403, title: "The caller's role does not allow this" },
  'unknown-administration': { status: 404, title: 'No arrangement with this administration code' },
  'partner-key-not-found': { status: 404, title: 'The administration has no key with this kid' },
  'receipt-key-not-found': { status: 404, title: 'No receipt key with this kid' },
  'submission-not-found': { status: 404, title: 'The submission log has no submission with this id' },
  // The register (ICD 5)
  'member-not-found': { status: 404, title: 'The gateway holds no member with this key (at that time)' },
  'invalid-state-transition': { status: 409, title: 'The change is not possible from the current state' },
  // Limits: how fast, how slowly
  'rate-limited': { status: 429, title: 'Too many requests; retry after the time in Retry-After' },
  'request-timeout': { status: 408, title: 'The request was not received in time' },
  'server-busy': { status: 503, title: 'The gateway is at its capacity for submissions; retry after the time in Retry-After' },
  'store-unavailable': { status: 503, title: "The gateway's store is unavailable; nothing was stored; retry after the time in Retry-After" },
  // Generic HTTP
  'bad-request': { status: 400, title: 'The request is not well-formed HTTP or its URL cannot be decoded' },
  'headers-too-large': { status: 431, title: 'The request headers are too large' },
  'not-found': { status: 404, title: 'No such resource' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'internal-error': { status: 500, title: 'Internal error' },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof problemTypes;

/** The RFC 9457 `type` URI of a problem code. */
export function problemTypeUri(code: ProblemCode): string {
  return `urn:mra-gateway:problem:${code}`;
}
