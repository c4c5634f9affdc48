/** Why the broker could not be used, as an operator needs to know it to act. */
export type BrokerFailureReason =
  | 'authentication'
  | 'not-allowed'
  | 'refused'
  | 'dns'
  | 'tls'
  | 'timeout'
  | 'connection-closed'
  | 'other';

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'EPROTO',
]);

/**
 * Reads amqplib's and Node's errors: a refused login is a 403 ACCESS-REFUSED in the handshake; a
 * missing virtual host or permission is the broker closing the connection during connection.open (a
 * 530 NOT_ALLOWED, which amqplib reports as "Expected ConnectionOpenOk"); the rest are socket, DNS and
 * TLS error codes.
 */
export function brokerFailureReason(error: unknown): BrokerFailureReason {
  const raw = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const code = typeof raw === 'string' ? raw : '';
  const message = error instanceof Error ? error.message : String(error);
  if (/ACCESS[-_]REFUSED|\b403\b/.test(message)) return 'authentication';
  if (/NOT[-_]ALLOWED|\b530\b|Expected ConnectionOpenOk/.test(message)) return 'not-allowed';
  if (code === 'ECONNREFUSED') return 'refused';
  if (DNS_CODES.has(code)) return 'dns';
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || TLS_CODES.has(code) || /\bSSL\b|\bTLS\b|certificate/i.test(message)) return 'tls';
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE' || /closed|ended/i.test(message)) return 'connection-closed';
  return 'other';
}
