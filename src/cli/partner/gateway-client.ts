import http from 'node:http';
import https from 'node:https';
import { PartnerToolError } from './partner-tool-error.js';

/** Bytes handed to the connection so far, of the total. */
export type UploadProgress = (sent: number, total: number) => void;

export interface GatewayResponse {
  status: number;
  contentType: string;
  body: unknown;
}

const CHUNK_BYTES = 256 * 1024;
/** The gateway may take minutes to check and store a list of 250,000 members. */
const DEFAULT_TIMEOUT_MS = 15 * 60_000;

/** A URL under the gateway's base URL, which may carry a path prefix (a reverse proxy). */
export function gatewayUrl(base: string, relative: string): URL {
  let url: URL;
  try {
    url = new URL(base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new PartnerToolError('usage', `"${base}" is not a URL (e.g. https://mra-gateway.cbp.example)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PartnerToolError('usage', `the gateway URL must be http or https, not ${url.protocol}`);
  return new URL(relative, url);
}

/**
 * Sends one request and reads the whole answer as JSON. The body goes out in chunks so that progress
 * can be reported; an answer that arrives before the upload finished (413, 415) is still read.
 * Failing to connect is `gateway-unreachable`.
 */
export function requestJson(
  method: 'GET' | 'POST',
  url: URL,
  options: { body?: Buffer; contentType?: string; onProgress?: UploadProgress; timeoutMs?: number } = {},
): Promise<GatewayResponse> {
  const transport = url.protocol === 'https:' ? https : http;
  const body = options.body;
  return new Promise<GatewayResponse>((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: 'application/json, application/problem+json, application/jwk-set+json' };
    if (body) Object.assign(headers, { 'content-type': options.contentType ?? 'application/octet-stream', 'content-length': body.length });
    const request = transport.request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => reject(unreachable(url, error)));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = response.headers['content-type'] ?? '';
        let parsed: unknown = text;
        if (/json/.test(contentType)) {
          try {
            parsed = JSON.parse(text);
          } catch {
            reject(new PartnerToolError('unexpected-response', `the gateway answered ${response.statusCode} with content that is not JSON`));
            return;
          }
        }
        resolve({ status: response.statusCode ?? 0, contentType, body: parsed });
      });
    });
    request.on('error', (error) => reject(unreachable(url, error)));
    request.setTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, () => request.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })));
    if (!body) {
      request.end();
      return;
    }
    writeInChunks(request, body, options.onProgress).then(
      () => request.end(),
      () => undefined, // the request's own 'error' (or an early answer) settles the promise
    );
  });
}

async function writeInChunks(request: http.ClientRequest, body: Buffer, onProgress: UploadProgress | undefined): Promise<void> {
  for (let offset = 0; offset < body.length; offset += CHUNK_BYTES) {
    if (request.destroyed) return;
    const chunk = body.subarray(offset, offset + CHUNK_BYTES);
    const flushed = request.write(chunk);
    onProgress?.(Math.min(offset + chunk.length, body.length), body.length);
    if (!flushed) await new Promise<void>((resolve) => {
      const done = (): void => {
        request.off('drain', done);
        request.off('close', done);
        resolve();
      };
      request.once('drain', done);
      request.once('close', done);
    });
  }
}

function unreachable(url: URL, error: unknown): PartnerToolError {
  const code = (error as NodeJS.ErrnoException).code;
  return new PartnerToolError('gateway-unreachable', `cannot reach the gateway at ${url.origin}: ${code ?? (error as Error).message}`);
}
