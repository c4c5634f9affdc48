import type { JSONWebKeySet } from 'jose';
import http from 'node:http';
import https from 'node:https';
import { CliError, errorCode } from '../cli-error.js';

/** Bytes handed to the connection so far, of the total. */
export type UploadProgress = (sent: number, total: number) => void;

export interface GatewayResponse {
  method: string;
  url: URL;
  status: number;
  contentType: string;
  /** The parsed JSON answer; undefined when the answer is not JSON. */
  body: unknown;
  /** The answer as text (for messages about answers that are not JSON). */
  text: string;
}

const CHUNK_BYTES = 256 * 1024;
/** The gateway may take minutes to check and store a list of 250,000 members. */
const DEFAULT_TIMEOUT_MS = 15 * 60_000;
/** Reads and small calls: the gateway answers them at once. */
export const SHORT_TIMEOUT_MS = 60_000;

const PROBLEM_PREFIX = 'urn:mra-gateway:problem:';
/** Problems the gateway gives for a path or method it does not serve: then the base URL is wrong. */
const NO_SUCH_ROUTE = new Set(['not-found', 'method-not-allowed']);

/**
 * A URL under the gateway's base URL, which may carry a path prefix (a reverse proxy): `relative` is
 * resolved below it, never from the host's root.
 */
export function gatewayUrl(base: string, relative: string): URL {
  let url: URL;
  try {
    url = new URL(base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new CliError('usage', `--gateway-url "${base}" is not a URL (e.g. https://mra-gateway.cbp.example)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError('usage', `--gateway-url must be http or https, not ${url.protocol}`);
  if (url.search !== '' || url.hash !== '') throw new CliError('usage', `--gateway-url is the gateway's base URL, without a query or fragment: ${base}`);
  return new URL(relative.replace(/^\/+/, ''), url);
}

export interface RequestOptions {
  body?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  onProgress?: UploadProgress;
  /** Called once the whole body has been handed to the network (not before). */
  onUploaded?: () => void;
  timeoutMs?: number;
}

/**
 * Sends one request and reads the whole answer. The body goes out in chunks so that progress can be
 * reported; an answer that arrives before the upload finished (413, 415) is still read. Failing to
 * connect, a connection lost and no answer in time are `unreachable` (exit code 5).
 */
export function requestJson(method: 'GET' | 'POST' | 'PATCH', url: URL, options: RequestOptions = {}): Promise<GatewayResponse> {
  const transport = url.protocol === 'https:' ? https : http;
  const body = options.body;
  return new Promise<GatewayResponse>((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: 'application/json, application/problem+json, application/jwk-set+json', ...options.headers };
    if (body) Object.assign(headers, { 'content-type': options.contentType ?? 'application/octet-stream', 'content-length': body.length });
    const request = transport.request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => reject(unreachable(url, error)));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = response.headers['content-type'] ?? '';
        let parsed: unknown;
        if (/json/.test(contentType)) {
          try {
            parsed = text === '' ? null : (JSON.parse(text) as unknown);
          } catch {
            parsed = undefined;
          }
        }
        resolve({ method, url, status: response.statusCode ?? 0, contentType, body: parsed, text });
      });
    });
    request.on('error', (error) => reject(unreachable(url, error)));
    // 'finish': the last byte was handed to the operating system, which a request that never connects never does.
    request.on('finish', () => options.onUploaded?.());
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

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there (is the gateway running, and is --gateway-url right?)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve (DNS)',
  ETIMEDOUT: 'no answer in time',
  ECONNRESET: 'the connection was closed before the answer',
  EHOSTUNREACH: 'the host cannot be reached',
  ENETUNREACH: 'the network cannot be reached',
};

function unreachable(url: URL, error: unknown): CliError {
  const code = errorCode(error);
  return new CliError('unreachable', `cannot reach the gateway at ${url.origin}: ${code}${REASONS[code] !== undefined ? `, ${REASONS[code]}` : ''}`);
}

/** The code of an mra-gateway problem document (`urn:mra-gateway:problem:<code>`), else undefined. */
export function problemCode(body: unknown): string | undefined {
  const type = (body as { type?: unknown } | null | undefined)?.type;
  return typeof type === 'string' && type.startsWith(PROBLEM_PREFIX) ? type.slice(PROBLEM_PREFIX.length) : undefined;
}

export type GatewayAnswer = { kind: 'answer'; body: unknown } | { kind: 'problem'; code: string; problem: Record<string, unknown> };

/**
 * What the gateway said: a JSON answer (2xx), or a problem document of its own (a refusal). Anything
 * else did not come from an mra-gateway's API, or not from the path meant: a route it does not have
 * (its 404 not-found or 405), an answer that is not JSON (a proxy's or web server's page). Those are
 * `unexpected-response` (exit code 5) with a message that says which URL answered what.
 */
export function gatewayAnswer(response: GatewayResponse, base: string): GatewayAnswer {
  const code = problemCode(response.body);
  if (code !== undefined && response.status >= 400) {
    if (NO_SUCH_ROUTE.has(code)) {
      throw new CliError('unexpected-response', `${response.method} ${response.url.href} answered ${response.status} ${code}: the gateway there has no such resource; is ${base} its base URL (with the path prefix of any reverse proxy)?`);
    }
    return { kind: 'problem', code, problem: response.body as Record<string, unknown> };
  }
  if (response.status >= 200 && response.status < 300 && response.body !== undefined) return { kind: 'answer', body: response.body };
  throw new CliError('unexpected-response', `${response.method} ${response.url.href} answered ${response.status} ${describeContent(response)}: not an answer of an mra-gateway; is ${base} its base URL?`);
}

function describeContent(response: GatewayResponse): string {
  if (response.text === '') return 'with an empty body';
  const snippet = response.text.replace(/\s+/g, ' ').trim().slice(0, 80);
  return `with ${response.contentType === '' ? 'content of no type' : response.contentType} ("${snippet}${response.text.length > 80 ? '...' : ''}")`;
}

/**
 * The gateway's receipt keys, from base/.well-known/jwks.json. Every mra-gateway serves them there, so
 * this is also how a wrong base URL shows before anything is sent: nothing listening (unreachable), or
 * something else listening (no key set there), both exit code 5.
 */
export async function fetchGatewayJwks(base: string): Promise<JSONWebKeySet> {
  const response = await requestJson('GET', gatewayUrl(base, '.well-known/jwks.json'), { timeoutMs: SHORT_TIMEOUT_MS });
  const keys = (response.body as { keys?: unknown } | null | undefined)?.keys;
  if (response.status !== 200 || !Array.isArray(keys)) {
    throw new CliError(
      'unexpected-response',
      `there is no mra-gateway at ${base}: GET ${response.url.href} answered ${response.status} ${Array.isArray(keys) ? '' : 'without a key set '}(an mra-gateway serves its receipt keys there); check --gateway-url`,
    );
  }
  return response.body as JSONWebKeySet;
}
