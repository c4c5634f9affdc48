import type { AuditPage as AuditPageBody } from '../../../src/admin/audit-log.js';
import { Loading, PageHead } from '../components/page-parts.js';
import { ProblemNotice } from '../components/problem-notice.js';
import { useConsole } from '../console-context.js';
import { formatInstant } from '../format.js';
import { href } from '../routing.js';
import { useLoad } from '../use-load.js';

const PAGE_SIZE = 50;

/** The audit log in the order it was written, a page at a time (the cursor is the last entry's seq). */
export function AuditPage({ after }: { after: number }) {
  const { client } = useConsole();
  const page = useLoad(() => client.get<AuditPageBody>('/audit', { after, limit: PAGE_SIZE }), String(after));
  return (
    <section>
      <PageHead title="Audit log" onRefresh={page.reload} />
      <p class="muted">Every change made through the admin API, by whom and why. Entries are only ever added.</p>
      <ProblemNotice problem={page.problem} />
      {page.value ? (
        <>
          {page.value.entries.length === 0 ? (
            <p>No entries{after > 0 ? ' after this point' : ' yet'}.</p>
          ) : (
            <table class="data" data-testid="audit-entries">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Before → after</th>
                </tr>
              </thead>
              <tbody>
                {page.value.entries.map((e) => (
                  <tr key={e.seq} data-action={e.action}>
                    <td>{e.seq}</td>
                    <td>{formatInstant(String(e.at))}</td>
                    <td>
                      {e.actor.sub}
                      <div class="muted">
                        <code>{e.actor.kid}</code>
                      </div>
                    </td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>
                      {e.administration ?? ''}
                      {e.kid !== null ? (
                        <div>
                          <code>{e.kid}</code>
                        </div>
                      ) : null}
                    </td>
                    <td>{e.reason ?? ''}</td>
                    <td>
                      <details>
                        <summary>{summary(e.before, e.after)}</summary>
                        <pre>{JSON.stringify({ before: e.before, after: e.after }, null, 2)}</pre>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <nav class="pager" aria-label="Pages of the audit log">
            {after > 0 ? <a href={href('audit')}>⟵ First</a> : null}
            {page.value.next !== null ? <a href={href('audit', undefined, { after: String(page.value.next) })}>Next ⟶</a> : null}
          </nav>
        </>
      ) : (
        <Loading when={page.loading} />
      )}
    </section>
  );
}

/** A one-line gist of a change: the status or state before and after, when the entry has one. */
function summary(before: unknown, after: unknown): string {
  const pick = (value: unknown): string | undefined => {
    if (typeof value !== 'object' || value === null) return undefined;
    const v = value as Record<string, unknown>;
    const found = v.status ?? v.state ?? v.notAfter;
    return typeof found === 'string' ? found : undefined;
  };
  const from = pick(before);
  const to = pick(after);
  return from !== undefined || to !== undefined ? `${from ?? '—'} → ${to ?? '—'}` : 'details';
}
