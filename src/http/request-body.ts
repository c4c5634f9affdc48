import type { Request } from 'express';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import { GatewayError } from '../domain/gateway-error.js';
import type { BodyReservation } from './body-memory-budget.js';

/** How much of a member-list body the gateway reads, on the wire and once decoded. */
export interface BodyLimits {
  /** Largest body after any Content-Encoding is removed (MAX_BODY_BYTES). */
  maxBytes: number;
  /** Largest body as sent, when it has a Content-Encoding (MAX_ENCODED_BODY_BYTES). */
  maxEncodedBytes: number;
  /** Most bytes a compressed body may decode to per byte sent (MAX_BODY_EXPANSION_RATIO). */
  maxExpansionRatio: number;
}

/** Which limit a body broke: the `limit` member of a 413 `payload-too-large` problem. */
export type BodyLimitName = 'body-size' | 'encoded-body-size' | 'expansion-ratio';

/**
 * A compressed body may always decode to this much, whatever its ratio: the first kilobytes of a list
 * (the envelope, the protected header) can compress far better than the list as a whole.
 */
export const RATIO_FREE_BYTES = 1024 * 1024;

/** Bodies of at least this many bytes are assembled in place (see readRequestBody). */
const IN_PLACE_BYTES = 1024 * 1024;

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** What reading a body found, for the access log. */
export interface ReadBody {
  body: Buffer;
  /** Bytes received on the wire (equal to body.length without a Content-Encoding). */
  encodedBytes: number;
  encoding: string;
}

/** The Content-Encoding of a request in lower case ("identity" when none), or a 415. */
export function contentEncodingOf(req: Request): string {
  const header = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (header === '' || header === 'identity') return 'identity';
  if (Object.hasOwn(DECODERS, header)) return header;
  throw new GatewayError('unsupported-media-type', `Content-Encoding "${header.slice(0, 64)}" is not supported; send identity, gzip, deflate or br (one coding, not several).`);
}

/** The limit a declared Content-Length already breaks, checked before any byte is read. */
export function declaredLengthProblem(req: Request, encoding: string, limits: BodyLimits): GatewayError | undefined {
  const declared = Number(req.get('content-length') ?? 0);
  if (encoding === 'identity' && declared > limits.maxBytes) return tooLarge('body-size', `The body is ${declared} bytes; the limit is ${limits.maxBytes}.`);
  if (encoding !== 'identity' && declared > limits.maxEncodedBytes) {
    return tooLarge('encoded-body-size', `The ${encoding} body is ${declared} bytes; the limit for an encoded body is ${limits.maxEncodedBytes}.`);
  }
  return undefined;
}

/**
 * Reads a request body into memory, removing its Content-Encoding, and stops at the first limit it
 * breaks, so that neither a large upload nor a small compressed one ("a zip bomb": 441 bytes of br can
 * inflate to 190 MiB) costs more than the limits allow:
 * - the bytes on the wire, for an encoded body, at most `maxEncodedBytes`;
 * - the decoded bytes at most `maxBytes`, and at most `maxExpansionRatio` times the bytes received so
 *   far (beyond RATIO_FREE_BYTES), checked as the decoder produces them;
 * - every decoded byte is reserved in the gateway-wide `budget` until the response is finished, so that
 *   many uploads at once cannot exhaust memory (503 `server-busy` when it is spent); the caller
 *   releases the reservation once the response is finished.
 * Decompression runs on libuv's thread pool (node:zlib streams), never blocking the event loop.
 * A corrupt encoding is a 400 `bad-content-encoding`; a body cut off is `malformed-jws`.
 */
export function readRequestBody(req: Request, encoding: string, limits: BodyLimits, reservation: BodyReservation): Promise<ReadBody> {
  return new Promise<ReadBody>((resolve, reject) => {
    // Someone decoding the stream to text would hand over strings, not the bytes that were signed.
    if (req.readableEncoding !== null) {
      reject(new GatewayError('malformed-jws', 'The request body was not received completely.'));
      return;
    }
    const chunks: Buffer[] = [];
    // A large body of known length (identity, a Content-Length within the limit, which Node's parser
    // holds the client to) is copied into place as it arrives: no concatenation of hundreds of megabytes
    // at the end, which would block the event loop for a tenth of a second, and never two copies of it
    // in memory. The buffer is made when the first bytes come; its pages take memory only as they are
    // written, which the budget counts.
    const declared = Number(req.get('content-length') ?? Number.NaN);
    const inPlace = encoding === 'identity' && Number.isSafeInteger(declared) && declared >= IN_PLACE_BYTES && declared <= limits.maxBytes;
    let whole: Buffer | undefined;
    let encodedBytes = 0;
    let decodedBytes = 0;
    let settled = false;
    const decoder: Transform | undefined = encoding === 'identity' ? undefined : DECODERS[encoding]!();

    const fail = (error: GatewayError) => {
      if (settled) return;
      settled = true;
      cleanUp();
      // Stop reading: whatever else the client sends is dropped with the connection.
      req.unpipe();
      req.pause();
      decoder?.destroy();
      chunks.length = 0;
      reject(error);
    };
    const take = (chunk: Buffer) => {
      if (settled) return;
      decodedBytes += chunk.length;
      if (decodedBytes > limits.maxBytes) {
        fail(tooLarge('body-size', `The body decodes to more than ${limits.maxBytes} bytes, the limit.`));
        return;
      }
      if (decoder && decodedBytes > RATIO_FREE_BYTES && decodedBytes > encodedBytes * limits.maxExpansionRatio) {
        fail(tooLarge('expansion-ratio', `The ${encoding} body expands more than ${limits.maxExpansionRatio} times (${decodedBytes} bytes from ${encodedBytes}); send it with a weaker compression or none.`));
        return;
      }
      if (!reservation.add(chunk.length)) {
        fail(new GatewayError('server-busy', 'The gateway holds as many request bodies as its memory allows; retry later.', { extensions: { retryAfter: reservation.retryAfterSeconds } }));
        return;
      }
      if (inPlace && whole === undefined && chunks.length === 0) whole = Buffer.allocUnsafeSlow(declared);
      if (whole && decodedBytes <= whole.length) chunk.copy(whole, decodedBytes - chunk.length);
      else chunks.push(chunk);
    };
    const onWire = (chunk: Buffer) => {
      encodedBytes += chunk.length;
      if (decoder && encodedBytes > limits.maxEncodedBytes) {
        fail(tooLarge('encoded-body-size', `The ${encoding} body is more than ${limits.maxEncodedBytes} bytes, the limit for an encoded body.`));
        return;
      }
      if (decoder) {
        // Respect the decoder's back pressure: a fast client must not queue the whole upload in zlib.
        if (!decoder.write(chunk)) {
          req.pause();
          decoder.once('drain', () => {
            if (!settled) req.resume();
          });
        }
      } else {
        take(chunk);
      }
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      cleanUp();
      if (whole) {
        if (decodedBytes !== whole.length || chunks.length > 0) {
          reject(new GatewayError('malformed-jws', 'The request body was not received completely.'));
          return;
        }
        resolve({ body: whole, encodedBytes, encoding });
        return;
      }
      resolve({ body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, decodedBytes), encodedBytes, encoding });
    };
    const onEnd = () => {
      if (decoder) decoder.end();
      else finish();
    };
    const onAborted = () => fail(new GatewayError('malformed-jws', 'The request body was not received completely.'));
    const onDecoderError = (error: Error) => {
      fail(new GatewayError('bad-content-encoding', `The body is not valid ${encoding} data.`, { cause: error }));
    };
    const cleanUp = () => {
      for (const [emitter, event, listener] of listeners) emitter.off(event, listener);
    };
    const onClose = () => {
      if (!req.complete) onAborted();
    };

    // 'aborted' is deprecated but still what Node 20 emits first when a client goes away mid-body.
    const listeners: [NodeJS.EventEmitter, string, Listener][] = [
      [req, 'data', onWire],
      [req, 'end', onEnd],
      [req, 'error', onAborted],
      [req, 'aborted', onAborted],
      [req, 'close', onClose],
      ...(decoder ? ([[decoder, 'data', take], [decoder, 'end', finish]] satisfies [NodeJS.EventEmitter, string, Listener][]) : []),
    ];
    for (const [emitter, event, listener] of listeners) emitter.on(event, listener);
    // Stays after clean-up: a decoder destroyed mid-stream may still report an error, which is moot then.
    decoder?.on('error', onDecoderError);
  });
}

type Listener = Parameters<NodeJS.EventEmitter['on']>[1];

function tooLarge(limit: BodyLimitName, detail: string): GatewayError {
  return new GatewayError('payload-too-large', detail, { extensions: { limit } });
}
