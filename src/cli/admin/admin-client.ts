import type { JWK } from 'jose';
import { CliError } from '../cli-error.js';
import { gatewayAnswer, gatewayUrl, requestJson, SHORT_TIMEOUT_MS } from '../partner/gateway-client.js';
import { signAdminToken } from './admin-token.js';

/**
 * Calls the admin API (base URL + admin/v1/...) with a fresh single-use token per request. A refusal
 * (the gateway's problem document) is exit code 6 with the problem printed; no gateway there, or an
 * answer that is not the gateway's, is exit code 5.
 */
export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly privateJwk: JWK,
    private readonly sub: string,
  ) {}

  async request(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<unknown> {
    const token = await signAdminToken(this.privateJwk, this.sub);
    const url = gatewayUrl(this.baseUrl, `admin/v1${path}`);
    const response = await requestJson(method, url, {
      headers: { authorization: `Bearer ${token}` },
      ...(body !== undefined ? { body: Buffer.from(JSON.stringify(body)), contentType: 'application/json' } : {}),
      timeoutMs: SHORT_TIMEOUT_MS,
    });
    const answer = gatewayAnswer(response, this.baseUrl);
    if (answer.kind === 'answer') return answer.body;
    const detail = typeof answer.problem.detail === 'string' ? `: ${answer.problem.detail}` : '';
    throw new CliError('refused', `the gateway refused (${response.status} ${answer.code})${detail}`, [], answer.problem);
  }
}
