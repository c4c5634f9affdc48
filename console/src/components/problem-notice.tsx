import type { ApiProblem } from '../api/admin-client.js';

/** A refusal as the administrator reads it: what the gateway said, and each error it listed. */
export function ProblemNotice({ problem }: { problem: ApiProblem | undefined }) {
  if (!problem) return null;
  return (
    <div class="problem" role="alert">
      <p>
        <strong>{problem.title}</strong>
        {problem.status > 0 ? <span class="muted"> ({problem.status} {problem.code})</span> : null}
      </p>
      <p>{problem.detail}</p>
      {problem.errors.length > 0 ? (
        <ul>
          {problem.errors.map((e, i) => (
            <li key={i}>
              {e.pointer !== undefined ? <code>{e.pointer}</code> : null} {e.detail}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
