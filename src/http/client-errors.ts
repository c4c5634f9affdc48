import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'winston';
import { problemTypes, problemTypeUri, type ProblemCode } from '../domain/problem-types.js';
import { SECURITY_HEADERS } from './request-context.js';

/** Node's parser and timeout errors, as the problem the gateway answers them with. */
function problemFor(code: string | undefined): { code: ProblemCode; detail: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'request-timeout', detail: 'The request headers, or the whole request, did not arrive in time; the connection is closed.' };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'headers-too-large', detail: 'The request headers are larger than the gateway accepts.' };
    default:
      return { code: 'bad-request', detail: 'The request is not well-formed HTTP/1.1.' };
  }
}

/**
 * The server's `clientError` listener: what Node would answer itself (400, 408, 431, written straight
 * to the socket because no request object exists yet), as an RFC 9457 problem document like every
 * other refusal, with the security headers and a request id that the log line carries too. As in
 * Node's own handler, nothing is written when a response to this socket has already begun.
 */
export function answerClientErrors(logger: Logger): (error: NodeJS.ErrnoException, socket: Duplex) => void {
  return (error, socket) => {
    // Node's own check (lib/_http_server.js): no answer in the middle of another response.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    const { code, detail } = problemFor(error.code);
    const { status, title } = problemTypes[code];
    const requestId = randomUUID();
    const body = JSON.stringify({ type: problemTypeUri(code), title, status, detail, requestId });
    const headers = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
      'Content-Type: application/problem+json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      `X-Request-Id: ${requestId}`,
      ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
    logger.info('request refused by the HTTP parser', { requestId, status, problem: code, reason: error.code ?? 'unknown' });
  };
}

/** Logs connections closed for MAX_CONNECTIONS at warn, at most once a minute with how many. */
export function logDroppedConnections(logger: Logger, maxConnections: number, now: () => number = Date.now): () => void {
  let dropped = 0;
  let lastLogged = -Infinity;
  return () => {
    dropped++;
    if (now() - lastLogged < 60_000) return;
    logger.warn('connections refused: MAX_CONNECTIONS open connections reached', { maxConnections, refusedSinceLastLine: dropped });
    lastLogged = now();
    dropped = 0;
  };
}
