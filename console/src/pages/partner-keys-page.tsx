import { useState } from 'preact/hooks';
import type { ArrangementView } from '../../../src/admin/arrangement-admin.js';
import type { PartnerKeyView } from '../../../src/admin/partner-key-admin.js';
import { ActionDialog } from '../components/action-dialog.js';
import { KeyTimeline, type AdministrationKeys } from '../components/key-timeline.js';
import { DoneNotice, Loading, PageHead } from '../components/page-parts.js';
import { ProblemNotice } from '../components/problem-notice.js';
import { useConsole } from '../console-context.js';
import { formatInstant, toUtcInput, utcInput } from '../format.js';
import { href, navigate } from '../routing.js';
import { useLoad } from '../use-load.js';

type KeyAction = { kind: 'add' } | { kind: 'retire'; key: PartnerKeyView } | { kind: 'revoke'; key: PartnerKeyView };

/** States in which a key still verifies, or will: the ones that can be retired or revoked. */
const LIVE_STATES = new Set(['pending', 'active', 'retiring']);

/** Every administration's key windows on one timeline; below it, one administration's keys and what can be done to them. */
export function PartnerKeysPage({ selected }: { selected: string | undefined }) {
  const { client, may } = useConsole();
  const keys = useLoad(async (): Promise<{ administrations: AdministrationKeys[]; now: Date }> => {
    const { administrations } = await client.get<{ administrations: ArrangementView[] }>('/administrations');
    const all = await Promise.all(
      administrations.map(async (a) => ({ code: a.code, keys: (await client.get<{ keys: PartnerKeyView[] }>(`/administrations/${a.code}/keys`)).keys })),
    );
    return { administrations: all, now: new Date() };
  }, 'keys');
  const [action, setAction] = useState<KeyAction | null>(null);
  const [done, setDone] = useState<string | undefined>();
  const current = keys.value?.administrations.find((a) => a.code === selected);

  return (
    <section>
      <PageHead title="Partner keys" onRefresh={keys.reload} />
      <ProblemNotice problem={keys.problem} />
      <DoneNotice message={done} />
      {keys.value ? (
        <>
          <KeyLegend />
          <KeyTimeline administrations={keys.value.administrations} now={keys.value.now} selected={selected} />
          <div class="select-row">
            <label for="key-administration">Administration</label>
            <select id="key-administration" value={selected ?? ''} onChange={(e) => navigate(href('keys', (e.currentTarget).value || undefined))}>
              <option value="">Choose…</option>
              {keys.value.administrations.map((a) => (
                <option key={a.code} value={a.code}>
                  {a.code}
                </option>
              ))}
            </select>
          </div>
        </>
      ) : (
        <Loading when={keys.loading} />
      )}
      {current ? (
        <>
          <div class="page-head">
            <h2>Keys of {current.code}</h2>
            {may('keys') ? (
              <button type="button" class="primary" onClick={() => setAction({ kind: 'add' })}>
                Add a key…
              </button>
            ) : null}
          </div>
          <KeyTable keys={current.keys} onAction={may('keys') ? setAction : undefined} />
        </>
      ) : null}
      {action && current ? (
        <KeyActionDialog
          administration={current}
          action={action}
          onDone={(message) => {
            setDone(message);
            keys.reload();
          }}
          onClose={() => setAction(null)}
        />
      ) : null}
    </section>
  );
}

function KeyLegend() {
  return (
    <ul class="legend" aria-label="Key states">
      {['active', 'retiring', 'pending', 'expired', 'revoked'].map((state) => (
        <li key={state}>
          <span class={`swatch state-${state}`} aria-hidden="true" />
          {state}
        </li>
      ))}
      <li>
        <span class="swatch gap" aria-hidden="true" />
        no valid key
      </li>
    </ul>
  );
}

function KeyTable({ keys, onAction }: { keys: PartnerKeyView[]; onAction: ((action: KeyAction) => void) | undefined }) {
  if (keys.length === 0) return <p>No keys: every list this administration sends is refused.</p>;
  return (
    <table class="data" data-testid="key-table">
      <thead>
        <tr>
          <th scope="col">kid</th>
          <th scope="col">State</th>
          <th scope="col">Not before</th>
          <th scope="col">Not after</th>
          <th scope="col">Revoked</th>
          <th scope="col">Added</th>
          {onAction ? <th scope="col">Actions</th> : null}
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <tr key={key.kid} data-kid={key.kid}>
            <td>
              <code>{key.kid}</code>
            </td>
            <td>
              <span class={`badge state-${key.state}`}>{key.state}</span>
            </td>
            <td>{formatInstant(key.notBefore)}</td>
            <td>{formatInstant(key.notAfter)}</td>
            <td>{key.revokedAt ? `${formatInstant(key.revokedAt)}: ${key.revocationReason ?? ''}` : '—'}</td>
            <td>{formatInstant(key.addedAt)}</td>
            {onAction ? (
              <td class="actions">
                {LIVE_STATES.has(key.state) ? (
                  <>
                    <button type="button" onClick={() => onAction({ kind: 'retire', key })}>
                      Retire…
                    </button>
                    <button type="button" class="danger" onClick={() => onAction({ kind: 'revoke', key })}>
                      Revoke…
                    </button>
                  </>
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function KeyActionDialog({ administration, action, onDone, onClose }: { administration: AdministrationKeys; action: KeyAction; onDone: (message: string) => void; onClose: () => void }) {
  const { client } = useConsole();
  const code = administration.code;
  const base = `/administrations/${code}/keys`;
  const [jwkText, setJwkText] = useState('');
  const [notBefore, setNotBefore] = useState('');
  const [notAfter, setNotAfter] = useState(() => toUtcInput(new Date(Date.now() + 30 * 86_400_000)));
  const [reason, setReason] = useState('');

  if (action.kind === 'add') {
    const kid = kidOf(jwkText);
    return (
      <ActionDialog
        title={`Add a key for ${code}`}
        confirmLabel="Add the key"
        consequence={
          <p>
            {kid ? (
              <>
                The key <code>{kid}</code>
              </>
            ) : (
              'The key'
            )}{' '}
            will verify {code}'s member lists from {notBefore ? `${notBefore.replace('T', ' ')} UTC` : 'now'} until {notAfter ? `${notAfter.replace('T', ' ')} UTC` : 'it is retired or revoked'}. The keys {code} uses now stay in force.
          </p>
        }
        onConfirm={async () => {
          const jwk = parseJwk(jwkText);
          const added = await client.post<PartnerKeyView>(base, { jwk, ...optional('notBefore', utcInput(notBefore)), ...optional('notAfter', utcInput(notAfter)) });
          onDone(`Key ${added.kid} added to ${code} (${added.state}).`);
        }}
        onClose={onClose}
      >
        <label for="add-jwk">{code}'s public key (JWK, as the partner sent it)</label>
        <textarea id="add-jwk" rows={6} required spellcheck={false} value={jwkText} onInput={(e) => setJwkText((e.currentTarget).value)} />
        <div class="field-row">
          <span>
            <label for="add-not-before">Not before (UTC, empty: now)</label>
            <input id="add-not-before" type="datetime-local" value={notBefore} onInput={(e) => setNotBefore((e.currentTarget).value)} />
          </span>
          <span>
            <label for="add-not-after">Not after (UTC, empty: no end)</label>
            <input id="add-not-after" type="datetime-local" value={notAfter} onInput={(e) => setNotAfter((e.currentTarget).value)} />
          </span>
        </div>
      </ActionDialog>
    );
  }

  const { key } = action;
  const others = administration.keys.filter((k) => k.kid !== key.kid && LIVE_STATES.has(k.state));
  if (action.kind === 'retire') {
    return (
      <ActionDialog
        title={`Retire ${key.kid}`}
        confirmLabel="Retire the key"
        consequence={
          <p>
            {code}'s key <code>{key.kid}</code> will stop verifying at {notAfter ? `${notAfter.replace('T', ' ')} UTC` : '…'}; until then it is accepted as now.{' '}
            {others.length > 0 ? (
              `${code} has ${others.length} other key${others.length === 1 ? '' : 's'} in force or pending.`
            ) : (
              <strong>{code} has no other key: after that, every list it sends is refused.</strong>
            )}
          </p>
        }
        onConfirm={async () => {
          const at = utcInput(notAfter);
          if (at === undefined) throw new Error('Choose when the key stops being accepted.');
          await client.post<PartnerKeyView>(`${base}/${encodeURIComponent(key.kid)}/retire`, { notAfter: at });
          onDone(`Key ${key.kid} of ${code} retires at ${formatInstant(at)}.`);
        }}
        onClose={onClose}
      >
        <label for="retire-not-after">Stops being accepted at (UTC)</label>
        <input id="retire-not-after" type="datetime-local" required value={notAfter} onInput={(e) => setNotAfter((e.currentTarget).value)} />
      </ActionDialog>
    );
  }
  return (
    <ActionDialog
      title={`Revoke ${key.kid}`}
      confirmLabel="Revoke the key now"
      destructive
      consequence={
        <p>
          {code}'s key <code>{key.kid}</code> is refused from the very next request, for good: a revocation cannot be undone.{' '}
          {others.length > 0 ? `${code} keeps ${others.length} other key${others.length === 1 ? '' : 's'}.` : <strong>{code} has no other key: every list it sends will be refused.</strong>}
        </p>
      }
      onConfirm={async () => {
        await client.post<PartnerKeyView>(`${base}/${encodeURIComponent(key.kid)}/revoke`, { reason: reason.trim() });
        onDone(`Key ${key.kid} of ${code} revoked.`);
      }}
      onClose={onClose}
    >
      <label for="revoke-reason">Reason (kept in the audit log)</label>
      <textarea id="revoke-reason" rows={3} required maxLength={1000} value={reason} onInput={(e) => setReason((e.currentTarget).value)} />
    </ActionDialog>
  );
}

function parseJwk(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('The key is not JSON: paste the partner\'s public JWK, e.g. {"kty":"OKP","crv":"Ed25519","x":"…","kid":"…"}.');
  }
}

function kidOf(text: string): string | undefined {
  try {
    const kid = (JSON.parse(text) as { kid?: unknown }).kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

function optional(name: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [name]: value };
}
