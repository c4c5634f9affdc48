import { useEffect, useState } from 'preact/hooks';

/** Where the console is: #/<page>/<argument>?<query>. The hash keeps every view linkable and out of the server's logs. */
export interface Route {
  page: string;
  argument: string | undefined;
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const [page = '', ...rest] = path.split('/');
  const argument = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined;
  return { page: page === '' ? 'overview' : page, argument, query: new URLSearchParams(query) };
}

/** The hash for a page, an argument and query parameters (empty values left out). */
export function href(page: string, argument?: string, query: Record<string, string | undefined> = {}): string {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') parameters.set(name, value);
  const text = parameters.toString();
  return `#/${page}${argument !== undefined ? `/${encodeURIComponent(argument)}` : ''}${text === '' ? '' : `?${text}`}`;
}

export function navigate(hash: string): void {
  window.location.hash = hash;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
