import { useState } from 'preact/hooks';
import type { ArrangementView } from '../../../src/admin/arrangement-admin.js';
import type { ArrangementStatus } from '../../../src/domain/arrangement.js';
import { ActionDialog } from '../components/action-dialog.js';
import { DoneNotice, Loading, PageHead } from '../components/page-parts.js';
import { ProblemNotice } from '../components/problem-notice.js';
import { useConsole } from '../console-context.js';
import { formatInstant } from '../format.js';
import { useLoad } from '../use-load.js';

interface StatusAction {
  arrangement: ArrangementView;
  status: ArrangementStatus;
}

/** What each change is called, and what it does, said before it is made. */
const CHANGES: Record<ArrangementStatus, { verb: string; consequence: (code: string) => string; destructive: boolean }> = {
  suspended: {
    verb: 'Suspend',
    consequence: (code) => `Member lists from ${code} are refused (403 mra-not-active) from the very next request, on every instance, until the arrangement is reinstated. Records already published stay as they are.`,
    destructive: true,
  },
  active: {
    verb: 'Reinstate',
    consequence: (code) => `Member lists from ${code} are accepted again from the very next request.`,
    destructive: false,
  },
  terminated: {
    verb: 'Terminate',
    consequence: (code) => `Final: member lists from ${code} are refused for good. A terminated arrangement cannot be reinstated.`,
    destructive: true,
  },
};

/** Which changes an arrangement in a status allows (terminated is final). */
const NEXT: Record<ArrangementStatus, ArrangementStatus[]> = {
  active: ['suspended', 'terminated'],
  suspended: ['active', 'terminated'],
  terminated: [],
};

/** The arrangements, their status in force and who set it; suspend, reinstate, terminate with a reason. */
export function ArrangementsPage() {
  const { client, may } = useConsole();
  const list = useLoad(() => client.get<{ administrations: ArrangementView[] }>('/administrations'), 'arrangements');
  const [action, setAction] = useState<StatusAction | null>(null);
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string | undefined>();

  return (
    <section>
      <PageHead title="Arrangements" onRefresh={list.reload} />
      <ProblemNotice problem={list.problem} />
      <DoneNotice message={done} />
      {list.value ? (
        <table class="data" data-testid="arrangements">
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Administration and program</th>
              <th scope="col">Signed</th>
              <th scope="col">Status in force</th>
              <th scope="col">Accepting lists</th>
              <th scope="col">Last change</th>
              {may('arrangements') ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {list.value.administrations.map((a) => (
              <tr key={a.code} data-administration={a.code}>
                <th scope="row">{a.code}</th>
                <td>
                  {a.administration}
                  <div class="muted">{a.program}</div>
                </td>
                <td class="nowrap">{a.signedOn}</td>
                <td>
                  <span class={`badge status-${a.status}`}>{a.status}</span>
                  {a.configuredStatus !== a.status ? <div class="muted">registry says {a.configuredStatus}</div> : null}
                </td>
                <td>{a.acceptingSubmissions ? 'yes' : <strong>no</strong>}</td>
                <td>
                  {a.statusChange ? (
                    <>
                      {formatInstant(a.statusChange.changedAt)} by {a.statusChange.changedBy.sub}
                      <div class="muted">“{a.statusChange.reason}”</div>
                    </>
                  ) : (
                    <span class="muted">as configured</span>
                  )}
                </td>
                {may('arrangements') ? (
                  <td class="actions">
                    {NEXT[a.status].map((status) => (
                      <button
                        key={status}
                        type="button"
                        class={CHANGES[status].destructive ? 'danger' : undefined}
                        onClick={() => {
                          setReason('');
                          setAction({ arrangement: a, status });
                        }}
                      >
                        {CHANGES[status].verb}…
                      </button>
                    ))}
                    {a.status === 'terminated' ? <span class="muted">final</span> : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Loading when={list.loading} />
      )}
      {action ? (
        <ActionDialog
          title={`${CHANGES[action.status].verb} ${action.arrangement.code}`}
          confirmLabel={`${CHANGES[action.status].verb} ${action.arrangement.code}`}
          destructive={CHANGES[action.status].destructive}
          consequence={<p>{CHANGES[action.status].consequence(action.arrangement.code)}</p>}
          onConfirm={async () => {
            const changed = await client.patch<ArrangementView>(`/administrations/${action.arrangement.code}`, { status: action.status, reason: reason.trim() });
            setDone(`${changed.code} is ${changed.status} since ${formatInstant(changed.statusChange?.changedAt)}.`);
            list.reload();
          }}
          onClose={() => setAction(null)}
        >
          <label for="status-reason">Reason (kept in the audit log and shown with the status)</label>
          <textarea id="status-reason" rows={3} required maxLength={1000} value={reason} onInput={(e) => setReason((e.currentTarget).value)} />
        </ActionDialog>
      ) : null}
    </section>
  );
}
