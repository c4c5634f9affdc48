import { CliError } from '../cli-error.js';
import { gatewayAnswer, gatewayUrl, requestJson, SHORT_TIMEOUT_MS } from '../partner/gateway-client.js';
import type { ReaderTokens } from './reader-tokens.js';

/** The largest page the register gives (`limit` 1 to 1000). */
export const MAX_PAGE_SIZE = 1000;

/** One page of GET /v1/members: the items (each a GET /v1/members/{key} body) and the cursor of the next. */
export interface MemberPage {
  members: unknown[];
  next: string | null;
}

/** Query parameters of GET /v1/members (contract section 5), as text. */
export type MemberQuery = Partial<Record<'administration' | 'recognized' | 'status' | 'role' | 'country' | 'changedSince' | 'includeRemoved' | 'mid' | 'identifier' | 'name' | 'limit', string>>;

/**
 * Reads the member register (GET /v1/members...) with the tokens of `tokens`. A refusal (the gateway's
 * problem document: 401, 403, 400) is exit code 6 with the problem printed; no gateway there, or an
 * answer that is not the gateway's, is exit code 5.
 */
export class RegisterClient {
  constructor(
    private readonly baseUrl: string,
    private readonly tokens: ReaderTokens,
  ) {}

  /** One page of the listing. */
  async page(query: MemberQuery, cursor?: string): Promise<MemberPage> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
    if (cursor !== undefined) params.set('cursor', cursor);
    const search = params.toString();
    const body = await this.get(`v1/members${search === '' ? '' : `?${search}`}`);
    const { members, next } = (body ?? {}) as { members?: unknown; next?: unknown };
    if (!Array.isArray(members) || !(next === null || (typeof next === 'string' && next !== ''))) {
      throw new CliError('unexpected-response', `GET ${gatewayUrl(this.baseUrl, 'v1/members').href} answered without "members" and "next": not the register listing of an mra-gateway; is ${this.baseUrl} its base URL?`);
    }
    return { members, next };
  }

  /** Every page of the listing, following `next`. */
  async *pages(query: MemberQuery): AsyncGenerator<MemberPage> {
    let cursor: string | undefined;
    do {
      const page = await this.page(query, cursor);
      yield page;
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
  }

  private async get(relative: string): Promise<unknown> {
    const url = gatewayUrl(this.baseUrl, relative);
    const response = await requestJson('GET', url, { headers: { authorization: `Bearer ${await this.tokens.token()}` }, timeoutMs: SHORT_TIMEOUT_MS });
    const answer = gatewayAnswer(response, this.baseUrl);
    if (answer.kind === 'answer') return answer.body;
    const detail = typeof answer.problem.detail === 'string' ? `: ${answer.problem.detail}` : '';
    throw new CliError('refused', `the gateway refused (${response.status} ${answer.code})${detail}`, [], answer.problem);
  }
}
