import { problemCode } from '../format.js';
import type { AdminSession } from '../session/admin-session.js';

/** One entry of a problem's errors[] (RFC 9457 extension the gateway uses). */
export interface ProblemError {
  pointer?: string;
  detail: string;
}

/** A refusal from the gateway (its problem document), or no answer at all (status 0). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly errors: ProblemError[] = [],
  ) {
    super(detail || title);
  }

  /** The problem code, e.g. "forbidden" for urn:mra-gateway:problem:forbidden. */
  get code(): string {
    return problemCode(this.type);
  }
}

type Query = Record<string, string | number | undefined>;

/**
 * The admin API (/admin/v1) as the console calls it: every request carries a fresh token signed in
 * the page, no cookies, nothing cached; an answer that is not 2xx becomes an ApiProblem.
 */
export class AdminClient {
  constructor(private readonly session: AdminSession) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.call<T>('GET', path + queryString(query));
  }

  post<T>(path: string, body: object = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  patch<T>(path: string, body: object): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  private async call<T>(method: string, path: string, body?: object): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${await this.session.token()}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`/admin/v1${path}`, {
        method,
        headers,
        credentials: 'omit',
        cache: 'no-store',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiProblem(0, 'about:blank', 'No answer', 'The gateway did not answer: check that it is running and reachable.');
    }
    if (response.ok) return (await response.json()) as T;
    throw await problemOf(response);
  }
}

async function problemOf(response: Response): Promise<ApiProblem> {
  let document: Partial<{ type: string; title: string; detail: string; errors: ProblemError[] }> = {};
  try {
    document = (await response.json()) as typeof document;
  } catch {
    // Not a problem document (a proxy's error page): the status says what there is to say.
  }
  return new ApiProblem(
    response.status,
    document.type ?? 'about:blank',
    document.title ?? response.statusText,
    document.detail ?? `The gateway answered ${response.status}.`,
    Array.isArray(document.errors) ? document.errors : [],
  );
}

function queryString(query: Query): string {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') parameters.set(name, String(value));
  const text = parameters.toString();
  return text === '' ? '' : `?${text}`;
}
