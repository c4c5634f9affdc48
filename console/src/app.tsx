import { useMemo, useState } from 'preact/hooks';
import { AdminClient } from './api/admin-client.js';
import { Console, type ConsoleContext, type Me } from './console-context.js';
import { ArrangementsPage } from './pages/arrangements-page.js';
import { AuditPage } from './pages/audit-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { PartnerKeysPage } from './pages/partner-keys-page.js';
import { ReceiptKeysPage } from './pages/receipt-keys-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { SubmissionDetailPage } from './pages/submission-detail-page.js';
import { SubmissionsPage } from './pages/submissions-page.js';
import { href, useRoute, type Route } from './routing.js';
import type { AdminSession } from './session/admin-session.js';

const PAGES: { page: string; label: string }[] = [
  { page: 'overview', label: 'Overview' },
  { page: 'keys', label: 'Partner keys' },
  { page: 'arrangements', label: 'Arrangements' },
  { page: 'submissions', label: 'Submissions' },
  { page: 'audit', label: 'Audit log' },
  { page: 'receipt-keys', label: 'Receipt keys' },
];

/** Signed in: the session lives in this component's state only, so reloading or closing the tab signs out. */
export function App() {
  const [signedIn, setSignedIn] = useState<{ session: AdminSession; me: Me } | null>(null);
  const context = useMemo<ConsoleContext | null>(() => {
    if (!signedIn) return null;
    const { me } = signedIn;
    return { client: new AdminClient(signedIn.session), me, may: (role) => me.roles.includes(role) };
  }, [signedIn]);

  if (!context) return <SignInPage onSignedIn={(session, me) => setSignedIn({ session, me })} />;
  return (
    <Console.Provider value={context}>
      <Shell me={context.me} onSignOut={() => setSignedIn(null)} />
    </Console.Provider>
  );
}

function Shell({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const route = useRoute();
  return (
    <div class="shell">
      <header class="top">
        <a class="product" href={href('overview')}>
          MRA gateway <span>console</span>
        </a>
        <nav aria-label="Console pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.page}>
                <a href={href(p.page)} aria-current={route.page === p.page ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who" data-testid="signed-in-as">
          <span class="identity" title={`kid ${me.kid}; roles ${me.roles.join(', ')}`}>
            <span>{me.sub}</span>
            <span class="roles">{me.roles.join(' · ')}</span>
          </span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <CurrentPage route={route} />
      </main>
    </div>
  );
}

function CurrentPage({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'keys':
      return <PartnerKeysPage selected={route.argument} />;
    case 'arrangements':
      return <ArrangementsPage />;
    case 'submissions':
      return route.argument !== undefined ? <SubmissionDetailPage id={route.argument} /> : <SubmissionsPage query={route.query} />;
    case 'audit':
      return <AuditPage after={Number(route.query.get('after') ?? 0) || 0} />;
    case 'receipt-keys':
      return <ReceiptKeysPage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page "{route.page}". <a href={href('overview')}>Go to the overview</a>.
          </p>
        </section>
      );
  }
}
