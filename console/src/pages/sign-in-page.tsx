import { useState } from 'preact/hooks';
import { ADMIN_API_ROLES } from '../../../src/admin/admin-key.js';
import { AdminClient, ApiProblem } from '../api/admin-client.js';
import type { Me } from '../console-context.js';
import { importAdminKeyFile, KeyFileError } from '../session/admin-key-file.js';
import { AdminSession, measureClockOffset } from '../session/admin-session.js';

/**
 * Sign-in without a shared secret: the administrator opens their private key file, which is imported
 * into the page as a non-extractable key (never sent, never stored), and names themselves for the
 * audit log. GET /admin/v1/me, signed with that key, proves the gateway knows it.
 */
export function SignInPage({ onSignedIn }: { onSignedIn: (session: AdminSession, me: Me) => void }) {
  const [file, setFile] = useState<File | undefined>();
  const [sub, setSub] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(undefined);
    try {
      const key = await importAdminKeyFile(file);
      const session = new AdminSession(key, sub.trim(), await measureClockOffset());
      const me = await new AdminClient(session).get<Me>('/me');
      if (!me.roles.some((role) => ADMIN_API_ROLES.includes(role))) {
        throw new KeyFileError(`The key "${me.kid}" has only the role(s) ${me.roles.join(', ')}: it reads the member register, not the admin API this console shows.`);
      }
      onSignedIn(session, me);
    } catch (failure) {
      setError(signInError(failure));
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <h1>MRA gateway console</h1>
      <p>
        Sign in with your administrator key file: the private JWK that <code>mra admin keygen</code> wrote for you. The key stays in this
        page, in memory, and cannot be read back; it is never sent. Every request carries a fresh token signed with it. Closing the tab
        forgets it.
      </p>
      <form onSubmit={(event) => void submit(event)} class="sign-in-form">
        <label for="key-file">Administrator key file (private JWK)</label>
        <input id="key-file" type="file" accept=".json,.jwk,application/json" required onChange={(e) => setFile((e.currentTarget).files?.[0])} />
        <label for="sub">Your name, as the audit log records it</label>
        <input id="sub" type="text" required maxLength={256} autoComplete="username" value={sub} onInput={(e) => setSub((e.currentTarget).value)} />
        <button type="submit" class="primary" disabled={busy || !file}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {error !== undefined ? (
        <p class="problem" role="alert" data-testid="sign-in-error">
          {error}
        </p>
      ) : null}
    </main>
  );
}

function signInError(failure: unknown): string {
  if (failure instanceof KeyFileError) return failure.message;
  if (failure instanceof ApiProblem) {
    if (failure.status === 401) return `The gateway refused this key: ${failure.detail}`;
    if (failure.status === 0) return failure.detail;
    return `The gateway answered ${failure.status}: ${failure.detail}`;
  }
  return `Signing in failed: ${failure instanceof Error ? failure.message : String(failure)}`;
}
