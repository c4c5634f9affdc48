import type { SubmissionView } from '../../../src/admin/submission-log.js';
import { Loading } from '../components/page-parts.js';
import { ProblemNotice } from '../components/problem-notice.js';
import { useConsole } from '../console-context.js';
import { formatCount, formatInstant, problemCode } from '../format.js';
import { href } from '../routing.js';
import { useLoad } from '../use-load.js';

/** One logged submission: what was sent, what the gateway made of it, the problem or the receipt. */
export function SubmissionDetailPage({ id }: { id: string }) {
  const { client } = useConsole();
  const entry = useLoad(() => client.get<SubmissionView>(`/submissions/${encodeURIComponent(id)}`), id);
  const s = entry.value;
  return (
    <section>
      <p>
        <a href={href('submissions')}>⟵ Submissions</a>
      </p>
      <h1>Submission {s ? `from ${s.administration}` : ''}</h1>
      <ProblemNotice problem={entry.problem} />
      {s ? (
        <div class="detail" data-testid="submission-detail">
          <dl class="facts">
            <dt>Outcome</dt>
            <dd>
              <span class={`badge outcome-${s.outcome}`}>{s.outcome}</span> (HTTP {s.status})
            </dd>
            <dt>Received</dt>
            <dd>{formatInstant(s.receivedAt)}</dd>
            <dt>Administration</dt>
            <dd>
              <a href={href('submissions', undefined, { administration: s.administration })}>{s.administration}</a>, key <code>{s.kid}</code>
            </dd>
            <dt>Message</dt>
            <dd>
              {s.messageId !== null ? (
                <a href={href('submissions', undefined, { messageId: s.messageId })}>
                  <code>{s.messageId}</code>
                </a>
              ) : (
                'not read'
              )}
              {s.kind !== null ? ` · ${s.kind}` : ''}
              {s.sequence !== null ? ` · sequence ${s.sequence}` : ''}
              {s.issuedAt !== null ? ` · issued ${s.issuedAt}` : ''}
            </dd>
            <dt>Size and time</dt>
            <dd>
              {formatCount(s.size)} bytes, answered in {formatCount(Math.round(s.durationMs * 10) / 10)} ms
            </dd>
            <dt>Body digest (SHA-256)</dt>
            <dd>
              <code>{s.digest}</code>
            </dd>
            <dt>Payload digest (SHA-256)</dt>
            <dd>
              <code>{s.payloadDigest}</code>
            </dd>
            <dt>Request id</dt>
            <dd>
              <code>{s.requestId ?? '—'}</code>
            </dd>
            <dt>Warnings</dt>
            <dd>{s.warnings}</dd>
            <dt>Log id</dt>
            <dd>
              <code>{s.id}</code>
            </dd>
          </dl>
          {s.counts ? (
            <>
              <h2>Counts</h2>
              <table class="data compact" data-testid="submission-counts">
                <tbody>
                  {(Object.entries(s.counts) as [string, number][]).map(([name, value]) => (
                    <tr key={name}>
                      <th scope="row">{name}</th>
                      <td>{formatCount(value)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
          {s.problem ? (
            <>
              <h2>Problem</h2>
              <div class="problem" data-testid="submission-problem">
                <p>
                  <code>{problemCode(s.problem.type)}</code> ({s.problem.status}): {s.problem.detail}
                </p>
                {s.problem.errors.length > 0 ? (
                  <>
                    <p>
                      {s.problem.errorCount > s.problem.errors.length ? `The first ${s.problem.errors.length} of ${s.problem.errorCount} errors:` : 'Errors:'}
                    </p>
                    <ul>
                      {s.problem.errors.map((e, i) => (
                        <li key={i}>
                          {e.pointer !== undefined ? <code>{e.pointer}</code> : null} {e.detail}
                        </li>
                      ))}
                    </ul>
                  </>
                ) : null}
              </div>
            </>
          ) : null}
          {s.receipt !== null ? <Receipt receipt={s.receipt} /> : null}
        </div>
      ) : (
        <Loading when={entry.loading} />
      )}
    </section>
  );
}

/** The signed receipt as answered (compact JWS), and its payload decoded for reading. */
function Receipt({ receipt }: { receipt: string }) {
  return (
    <>
      <h2>Signed receipt</h2>
      <pre class="receipt" data-testid="receipt-payload">
        {decodePayload(receipt)}
      </pre>
      <details>
        <summary>The receipt as sent (compact JWS)</summary>
        <pre class="jws">{receipt}</pre>
      </details>
    </>
  );
}

function decodePayload(jws: string): string {
  try {
    const part = jws.split('.')[1] ?? '';
    const bytes = Uint8Array.from(atob(part.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    return JSON.stringify(JSON.parse(new TextDecoder().decode(bytes)), null, 2);
  } catch {
    return 'The receipt payload could not be decoded.';
  }
}
