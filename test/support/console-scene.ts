import { memberOf, type ScenarioAdministration } from './administration-members.js';
import { createAdminKey, type AdminSigningKey } from './admin-tokens.js';
import { waitUntil } from './delivery-audit.js';
import { signCompact } from './jws.js';
import { memberList, type Member, type MemberList } from './member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from './partner-keys.js';
import { TestClock } from './test-clock.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from './test-gateway.js';

const DAY = 86_400_000;

/** What the console's browser tests and screenshots run against: a gateway serving a built console, with partners and administrators. */
export interface ConsoleScene {
  test: TestGateway;
  clock: TestClock;
  /** All roles, EdDSA (Ed25519 in WebCrypto). */
  admin: AdminSigningKey;
  /** Only `audit`, ES256. */
  auditor: AdminSigningKey;
  /** A key admin-keys.json does not list. */
  stranger: AdminSigningKey;
  partners: Map<string, PartnerSigningKey>;
  /** A signed snapshot of `administration` (members of its own program), issued on the gateway's clock. */
  sign(administration: ScenarioAdministration, members?: Member[], overrides?: Partial<MemberList>): Promise<string>;
  /** Sends a signed list; resolves to the HTTP status. */
  send(body: string): Promise<number>;
  /** sign, then send. */
  submit(administration: ScenarioAdministration, members?: Member[], overrides?: Partial<MemberList>): Promise<number>;
  dispose(): Promise<void>;
}

export interface ConsoleSceneSetup {
  consoleDir: string;
  administrations: readonly ScenarioAdministration[];
  /** Validity windows of the partners' bootstrap keys, by administration, in days from now. */
  keyWindows?: Partial<Record<ScenarioAdministration, { notBeforeDays?: number; notAfterDays?: number }>>;
}

export async function startConsoleScene(setup: ConsoleSceneSetup): Promise<ConsoleScene> {
  const clock = new TestClock();
  const [admin, auditor, stranger] = await Promise.all([createAdminKey({ alg: 'EdDSA' }), createAdminKey({ roles: ['audit'] }), createAdminKey()]);
  const partners = new Map<string, PartnerSigningKey>();
  for (const code of setup.administrations) partners.set(code, await createPartnerKey(code));
  const now = Date.now();
  const windows: Record<string, { notBefore?: string; notAfter?: string }> = {};
  for (const [code, w] of Object.entries(setup.keyWindows ?? {})) {
    windows[partners.get(code)!.kid] = {
      ...(w.notBeforeDays !== undefined ? { notBefore: new Date(now + w.notBeforeDays * DAY).toISOString() } : {}),
      ...(w.notAfterDays !== undefined ? { notAfter: new Date(now + w.notAfterDays * DAY).toISOString() } : {}),
    };
  }
  const test = await startTestGateway({
    keys: [...partners.values()],
    keyWindows: windows,
    adminKeys: [admin.publicJwk, auditor.publicJwk],
    env: { CONSOLE_DIR: setup.consoleDir },
    options: { clock },
  });
  // The gateway connects to the broker in the background; the overview should show it connected.
  await waitUntil('the console scene gateway is connected to the broker', () => test.gateway.publisher.connected, 20_000);
  const sign = (administration: ScenarioAdministration, members?: Member[], overrides: Partial<MemberList> = {}): Promise<string> => {
    const list = memberList(members ?? [memberOf(administration, 1), memberOf(administration, 2)], { administration, issuedAt: clock.now().toISOString(), ...overrides });
    return signCompact(list, partners.get(administration)!);
  };
  const send = async (body: string): Promise<number> => (await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(body)).status;
  const submit = async (administration: ScenarioAdministration, members?: Member[], overrides: Partial<MemberList> = {}): Promise<number> => send(await sign(administration, members, overrides));
  return { test, clock, admin, auditor, stranger, partners, sign, send, submit, dispose: () => disposeTestGateway(test) };
}
