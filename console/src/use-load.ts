import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiProblem } from './api/admin-client.js';

export interface Loaded<T> {
  value: T | undefined;
  problem: ApiProblem | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` when `key` changes (and on reload), keeping the last value while a new one loads; an
 * answer that arrives after a newer request started is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ value: T | undefined; problem: ApiProblem | undefined; loading: boolean }>({ value: undefined, problem: undefined, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (value) => current && setState({ value, problem: undefined, loading: false }),
      (error: unknown) => current && setState((s) => ({ value: s.value, problem: asProblem(error), loading: false })),
    );
    return () => {
      current = false;
    };
    // `load` is a new closure on every render; `key` says when what it loads has changed.
  }, [key, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

export function asProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  return new ApiProblem(0, 'about:blank', 'Error in the console', error instanceof Error ? error.message : String(error));
}
