import type { ArrangementOverview, Overview } from '../../../src/admin/admin-overview.js';
import type { DailySubmissions } from '../../../src/admin/submission-log.js';
import { Loading, PageHead } from '../components/page-parts.js';
import { ProblemNotice } from '../components/problem-notice.js';
import { SubmissionsChart } from '../components/submissions-chart.js';
import { useConsole } from '../console-context.js';
import { formatCount, formatInstant, formatSeconds, problemCode } from '../format.js';
import { href } from '../routing.js';
import { useLoad } from '../use-load.js';

/** A key horizon this close is worth a warning: a partner needs weeks to roll over to a new key. */
const KEY_HORIZON_WARNING_SECONDS = 30 * 86_400;

/** How the exchange stands: a row per arrangement, the broker and outbox, and submissions per day. */
export function OverviewPage() {
  const { client } = useConsole();
  const overview = useLoad(() => client.get<Overview>('/overview'), 'overview');
  const daily = useLoad(() => client.get<DailySubmissions>('/submissions/daily'), 'daily');
  const view = overview.value;
  return (
    <section>
      <PageHead
        title="Overview"
        onRefresh={() => {
          overview.reload();
          daily.reload();
        }}
      />
      <ProblemNotice problem={overview.problem ?? daily.problem} />
      {view ? (
        <>
          <p class="muted">As of {formatInstant(view.now)} (the gateway's clock).</p>
          <Health view={view} />
          <h2>Arrangements</h2>
          <ArrangementTable view={view} />
        </>
      ) : (
        <Loading when={overview.loading} />
      )}
      <h2 id="daily-chart-title">Submissions per day</h2>
      {daily.value ? <SubmissionsChart daily={daily.value} titleId="daily-chart-title" /> : null}
    </section>
  );
}

function Health({ view }: { view: Overview }) {
  const { outbox, broker } = view;
  const active = view.arrangements.filter((a) => a.status === 'active');
  const stale = active.filter((a) => a.stale);
  const outboxLate = outbox.oldestAgeSeconds !== null && outbox.oldestAgeSeconds > outbox.maxAgeSeconds;
  return (
    <ul class="health" aria-label="Exchange health">
      <li class={broker.connected ? 'ok' : 'bad'} data-testid="broker-state">
        <span class="label">Broker</span>
        <strong>{broker.connected ? 'connected' : 'not connected'}</strong>
      </li>
      <li class={outbox.backlog === null ? 'bad' : outboxLate ? 'bad' : outbox.backlog > 0 ? 'warn' : 'ok'} data-testid="outbox-state">
        <span class="label">Outbox</span>
        <strong>{outbox.backlog === null ? 'cannot be read' : `${formatCount(outbox.backlog)} to publish`}</strong>
        {outbox.oldestAgeSeconds !== null && outbox.backlog ? <span>oldest {formatSeconds(outbox.oldestAgeSeconds)} (limit {formatSeconds(outbox.maxAgeSeconds)})</span> : null}
      </li>
      <li class={stale.length > 0 ? 'warn' : 'ok'}>
        <span class="label">Active partners delivering</span>
        <strong>
          {active.length - stale.length} of {active.length}
        </strong>
        {stale.length > 0 ? <span>no list for {formatSeconds(view.staleAfterSeconds)}: {stale.map((a) => a.code).join(', ')}</span> : null}
      </li>
    </ul>
  );
}

function ArrangementTable({ view }: { view: Overview }) {
  return (
    <table class="data" data-testid="overview-arrangements">
      <thead>
        <tr>
          <th scope="col">Arrangement</th>
          <th scope="col">Status</th>
          <th scope="col">Last accepted list</th>
          <th scope="col">Key horizon</th>
          <th scope="col">Last rejection</th>
        </tr>
      </thead>
      <tbody>
        {view.arrangements.map((a) => (
          <tr key={a.code} data-administration={a.code}>
            <th scope="row">
              <a href={href('submissions', undefined, { administration: a.code })}>{a.code}</a>
            </th>
            <td>
              <span class={`badge status-${a.status}`}>{a.status}</span>
            </td>
            <td>
              <LastList arrangement={a} staleAfterSeconds={view.staleAfterSeconds} />
            </td>
            <td>
              <KeyHorizon arrangement={a} />
            </td>
            <td>
              {a.lastRejection ? (
                <a href={href('submissions', a.lastRejection.id)}>
                  <code>{problemCode(a.lastRejection.type)}</code> {formatSeconds(a.lastRejection.ageSeconds)} ago
                </a>
              ) : (
                <span class="muted">none</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LastList({ arrangement: a, staleAfterSeconds }: { arrangement: ArrangementOverview; staleAfterSeconds: number }) {
  const warn = a.stale && a.status === 'active';
  const last = a.lastAccepted;
  return (
    <span class={warn ? 'stale' : undefined} data-testid="last-list">
      {last ? (
        <a href={href('submissions', last.id)}>
          {last.kind ?? 'list'} {formatSeconds(last.ageSeconds)} ago
        </a>
      ) : (
        <span>never</span>
      )}
      {warn ? (
        <span class="badge warn" title={`No accepted list for more than ${formatSeconds(staleAfterSeconds)}`}>
          ⚠ over {formatSeconds(staleAfterSeconds)}
        </span>
      ) : null}
    </span>
  );
}

function KeyHorizon({ arrangement: a }: { arrangement: ArrangementOverview }) {
  const { keys } = a;
  if (keys.active === 0) return <span class="badge bad">no usable key</span>;
  const soon = keys.horizonSeconds !== null && keys.horizonSeconds < KEY_HORIZON_WARNING_SECONDS;
  return (
    <a href={href('keys', a.code)} class={soon ? 'soon' : undefined}>
      {keys.horizonSeconds === null ? 'no end date' : `${formatSeconds(keys.horizonSeconds)} (until ${formatInstant(keys.usableUntil).slice(0, 10)})`}
      <span class="muted">
        {' '}
        · {keys.active} key{keys.active === 1 ? '' : 's'}
      </span>
      {soon ? <span class="badge warn">⚠ soon</span> : null}
    </a>
  );
}
