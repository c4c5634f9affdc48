import type { JWK } from 'jose';
import { signAdminToken } from './admin-token.js';

/** A refusal from the gateway, carrying its problem document (RFC 9457). */
export class ProblemResponse extends Error {
  constructor(
    readonly status: number,
    readonly problem: unknown,
  ) {
    super(`the gateway answered ${status}`);
    this.name = 'ProblemResponse';
  }
}

/** Calls the admin API with a fresh token per request. */
export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly privateJwk: JWK,
    private readonly sub: string,
  ) {}

  async request(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<unknown> {
    const token = await signAdminToken(this.privateJwk, this.sub);
    const url = new URL(`/admin/v1${path}`, this.baseUrl);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new Error(`cannot reach the gateway at ${url.origin} (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : String(error)})`);
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page, say): shown as text.
    }
    if (!response.ok) throw new ProblemResponse(response.status, parsed);
    return parsed;
  }
}
