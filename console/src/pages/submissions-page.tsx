import { useState } from 'preact/hooks';
import type { SubmissionPage, SubmissionView } from '../../../src/admin/submission-log.js';
import { problemTypes } from '../../../src/domain/problem-types.js';
import { Loading, PageHead } from '../components/page-parts.js';
import { ProblemNotice } from '../components/problem-notice.js';
import { useConsole } from '../console-context.js';
import { formatCount, formatInstant, problemCode } from '../format.js';
import { href, navigate } from '../routing.js';
import { useLoad } from '../use-load.js';

const FILTERS = ['administration', 'outcome', 'problem', 'messageId', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;
const PAGE_SIZE = 50;

/**
 * The submission log, newest first, with the API's filters (kept in the address, so a filtered view
 * can be shared) and keyset paging: "Older" follows the page's cursor, "Newest" starts again.
 */
export function SubmissionsPage({ query }: { query: URLSearchParams }) {
  const { client } = useConsole();
  const filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ''])) as Filters;
  const cursor = query.get('cursor') ?? undefined;
  const key = query.toString();
  const page = useLoad(
    () =>
      client.get<SubmissionPage>('/submissions', {
        administration: filters.administration,
        outcome: filters.outcome,
        problem: filters.problem,
        messageId: filters.messageId,
        // The form's days are UTC days: from the start of `from` to the end of `to`.
        from: filters.from === '' ? undefined : `${filters.from}T00:00:00Z`,
        to: filters.to === '' ? undefined : new Date(Date.parse(`${filters.to}T00:00:00Z`) + 86_400_000).toISOString(),
        limit: PAGE_SIZE,
        cursor,
      }),
    key,
  );

  return (
    <section>
      <PageHead title="Submissions" onRefresh={page.reload} />
      <FilterForm initial={filters} />
      <ProblemNotice problem={page.problem} />
      {page.value ? (
        <>
          <SubmissionTable submissions={page.value.submissions} loading={page.loading} />
          <nav class="pager" aria-label="Pages of the log">
            {cursor !== undefined ? <a href={href('submissions', undefined, { ...filters })}>⟵ Newest</a> : null}
            {page.value.next !== null ? <a href={href('submissions', undefined, { ...filters, cursor: page.value.next })}>Older ⟶</a> : null}
          </nav>
        </>
      ) : (
        <Loading when={page.loading} />
      )}
    </section>
  );
}

function FilterForm({ initial }: { initial: Filters }) {
  const [values, setValues] = useState(initial);
  const field = (name: keyof Filters) => ({
    id: `filter-${name}`,
    name,
    value: values[name],
    onInput: (e: Event) => setValues({ ...values, [name]: (e.currentTarget as HTMLInputElement).value }),
  });
  return (
    <form
      class="filters"
      aria-label="Filter the log"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(href('submissions', undefined, { ...values, administration: values.administration.trim().toUpperCase() }));
      }}
    >
      <span>
        <label for="filter-administration">Administration</label>
        <input {...field('administration')} size={4} maxLength={2} placeholder="EU" />
      </span>
      <span>
        <label for="filter-outcome">Outcome</label>
        <select {...field('outcome')} onChange={(e) => setValues({ ...values, outcome: (e.currentTarget).value })}>
          <option value="">any</option>
          <option value="accepted">accepted</option>
          <option value="replayed">replayed</option>
          <option value="rejected">rejected</option>
        </select>
      </span>
      <span>
        <label for="filter-problem">Problem</label>
        <input {...field('problem')} list="problem-codes" size={22} placeholder="schema-violation" />
        <datalist id="problem-codes">
          {Object.keys(problemTypes).map((code) => (
            <option key={code} value={code} />
          ))}
        </datalist>
      </span>
      <span>
        <label for="filter-messageId">Message id</label>
        <input {...field('messageId')} size={24} />
      </span>
      <span>
        <label for="filter-from">From (UTC day)</label>
        <input {...field('from')} type="date" />
      </span>
      <span>
        <label for="filter-to">To (UTC day)</label>
        <input {...field('to')} type="date" />
      </span>
      <button type="submit" class="primary">
        Search
      </button>
      <a href={href('submissions')}>Clear</a>
    </form>
  );
}

function SubmissionTable({ submissions, loading }: { submissions: SubmissionView[]; loading: boolean }) {
  if (submissions.length === 0) return <p>No submission matches.</p>;
  return (
    <table class="data" data-testid="submissions" aria-busy={loading}>
      <thead>
        <tr>
          <th scope="col">Received</th>
          <th scope="col">Administration</th>
          <th scope="col">Outcome</th>
          <th scope="col">Kind</th>
          <th scope="col">Message id</th>
          <th scope="col">Members</th>
          <th scope="col">Problem</th>
          <th scope="col">
            <span class="visually-hidden">Details</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {submissions.map((s) => (
          <tr key={s.id} data-outcome={s.outcome} data-administration={s.administration}>
            <td class="nowrap">{formatInstant(s.receivedAt)}</td>
            <td>{s.administration}</td>
            <td class="nowrap">
              <span class={`badge outcome-${s.outcome}`}>{s.outcome}</span> <span class="muted">{s.status}</span>
            </td>
            <td class="nowrap">
              {s.kind ?? '—'}
              {s.sequence !== null ? <span class="muted"> #{s.sequence}</span> : null}
            </td>
            <td>
              <code>{s.messageId ?? '—'}</code>
            </td>
            <td>{s.counts ? formatCount(s.counts.members) : '—'}</td>
            <td>{s.problem ? <code>{problemCode(s.problem.type)}</code> : s.warnings > 0 ? `${s.warnings} warnings` : ''}</td>
            <td>
              <a href={href('submissions', s.id)} aria-label={`Details of the submission received ${formatInstant(s.receivedAt)}`}>
                Details
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
