import { useState } from 'preact/hooks';
import type { ReceiptKeyList, ReceiptKeyView } from '../../../src/admin/receipt-key-admin.js';
import { ActionDialog } from '../components/action-dialog.js';
import { DoneNotice, Loading, PageHead } from '../components/page-parts.js';
import { ProblemNotice } from '../components/problem-notice.js';
import { useConsole } from '../console-context.js';
import { formatInstant } from '../format.js';
import { useLoad } from '../use-load.js';

type ReceiptAction = { kind: 'rotate' } | { kind: 'retire'; key: ReceiptKeyView };

/** The gateway's own receipt-signing keys: which signs now, which are still published for older receipts. */
export function ReceiptKeysPage() {
  const { client, may } = useConsole();
  const list = useLoad(() => client.get<ReceiptKeyList>('/receipt-keys'), 'receipt-keys');
  const [action, setAction] = useState<ReceiptAction | null>(null);
  const [done, setDone] = useState<string | undefined>();

  return (
    <section>
      <PageHead title="Receipt keys" onRefresh={list.reload}>
        {may('receipt-keys') ? (
          <button type="button" class="primary" onClick={() => setAction({ kind: 'rotate' })}>
            Rotate…
          </button>
        ) : null}
      </PageHead>
      <p class="muted">Partners check the gateway's receipts with the public keys at /.well-known/jwks.json.</p>
      <ProblemNotice problem={list.problem} />
      <DoneNotice message={done} />
      {list.value ? (
        <table class="data" data-testid="receipt-keys">
          <thead>
            <tr>
              <th scope="col">kid</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Retired</th>
              {may('receipt-keys') ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {list.value.keys.map((key) => (
              <tr key={key.kid} data-kid={key.kid}>
                <td>
                  <code>{key.kid}</code>
                </td>
                <td>
                  <span class={`badge receipt-${key.state}`}>{key.state}</span>
                </td>
                <td>{formatInstant(key.createdAt)}</td>
                <td>{formatInstant(key.retiredAt)}</td>
                {may('receipt-keys') ? (
                  <td class="actions">
                    {key.state === 'published' ? (
                      <button type="button" class="danger" onClick={() => setAction({ kind: 'retire', key })}>
                        Retire…
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Loading when={list.loading} />
      )}
      {action?.kind === 'rotate' && list.value ? (
        <ActionDialog
          title="Rotate the receipt key"
          confirmLabel="Rotate"
          consequence={
            <p>
              A new key is made and signs every receipt from the next submission on. The key signing now (<code>{list.value.signing}</code>) stays published in
              jwks.json, so partners can still check the receipts it signed, until you retire it.
            </p>
          }
          onConfirm={async () => {
            const rotated = await client.post<ReceiptKeyView>('/receipt-keys/rotate');
            setDone(`Receipts are now signed by ${rotated.kid}.`);
            list.reload();
          }}
          onClose={() => setAction(null)}
        />
      ) : null}
      {action?.kind === 'retire' ? (
        <ActionDialog
          title={`Retire ${action.key.kid}`}
          confirmLabel="Retire the key"
          destructive
          consequence={
            <p>
              <code>{action.key.kid}</code> leaves jwks.json: receipts it signed can no longer be checked against the gateway's published keys. Retire it once partners have checked and kept
              them.
            </p>
          }
          onConfirm={async () => {
            await client.post<ReceiptKeyView>(`/receipt-keys/${encodeURIComponent(action.key.kid)}/retire`);
            setDone(`${action.key.kid} is retired.`);
            list.reload();
          }}
          onClose={() => setAction(null)}
        />
      ) : null}
    </section>
  );
}
