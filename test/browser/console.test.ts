import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartnerKeyView } from '../../src/admin/partner-key-admin.js';
import { CONSOLE_CONTENT_SECURITY_POLICY } from '../../src/http/console-router.js';
import { adminCall } from '../support/admin-tokens.js';
import { buildConsole, fitsWidth, launchChromium, showPage, signIn, writeKeyFile } from '../support/console-browser.js';
import { startConsoleScene, type ConsoleScene } from '../support/console-scene.js';
import { createPartnerKey } from '../support/partner-keys.js';

const DAY = 86_400_000;

interface SeenRequest {
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

/** Polls `read` until `check` holds (the page updates after its calls return), then returns the last value. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const CHANGE_BUTTONS = /^(Add a key|Retire|Revoke|Suspend|Reinstate|Terminate|Rotate)/;

describe('the web console in Chromium', { timeout: 60_000 }, () => {
  let built: Awaited<ReturnType<typeof buildConsole>>;
  let scene: ConsoleScene;
  let browser: Browser;
  let keyDir: string;
  let adminKeyFile: string;
  let base: string;
  const contexts: BrowserContext[] = [];
  const requests: SeenRequest[] = [];
  const responses: { url: string; status: number; headers: Record<string, string> }[] = [];
  const pageErrors: string[] = [];

  /** A fresh browser context (a new tab with nothing remembered), every request and error recorded. */
  const openPage = async (width = 1280): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('request', (r) => requests.push({ url: r.url(), headers: r.headers(), body: r.postData() }));
    page.on('response', (r) => responses.push({ url: r.url(), status: r.status(), headers: r.headers() }));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return page;
  };
  const signedInAdmin = async (width = 1280): Promise<Page> => {
    const page = await openPage(width);
    await signIn(page, base, adminKeyFile, 'console-test');
    return page;
  };
  const timelineKeys = (page: Page, code: string): Locator => page.locator(`[data-testid=key-timeline] g[data-administration="${code}"] g.key`);
  const euKeys = async (): Promise<PartnerKeyView[]> => ((await adminCall(scene.test.http, scene.admin, 'get', '/administrations/EU/keys')).body as { keys: PartnerKeyView[] }).keys;

  beforeAll(async () => {
    built = await buildConsole();
    scene = await startConsoleScene({ consoleDir: built.dir, administrations: ['EU', 'JP'] });
    base = scene.test.gateway.url;
    // EU delivers; JP, with a key, sends nothing.
    expect(await scene.submit('EU')).toBe(202);
    browser = await launchChromium();
    keyDir = mkdtempSync(path.join(tmpdir(), 'mra-console-keys-'));
    adminKeyFile = writeKeyFile(keyDir, 'admin.jwk', scene.admin.privateJwk);
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await scene?.dispose();
    built?.remove();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it('signs in with a key file; the overview shows the partner that delivered and the one that did not', async () => {
    const page = await signedInAdmin();
    const rows = page.getByTestId('overview-arrangements');
    await rows.waitFor();
    const eu = rows.locator('tr[data-administration="EU"]');
    const jp = rows.locator('tr[data-administration="JP"]');
    // EU's last list links to its log entry, without the 26-hour warning; JP has none, and the warning.
    expect(await eu.getByTestId('last-list').locator('a').count()).toBe(1);
    expect(await eu.locator('.badge.warn').count()).toBe(0);
    expect(await jp.getByTestId('last-list').locator('a').count()).toBe(0);
    expect(await jp.getByTestId('last-list').locator('.badge.warn').count()).toBe(1);
    expect(await page.getByTestId('broker-state').getAttribute('class')).toBe('ok');
    // Today's accepted list is a bar in the chart.
    const bars = await eventually(() => page.locator('[data-testid=submissions-chart] rect.outcome-accepted').count(), (n) => n > 0);
    expect(bars).toBe(1);
    // Readable at 1280 pixels: nothing is wider than the window.
    expect(await fitsWidth(page)).toBe(true);
    // The page came with the console's strict policy.
    const shell = responses.find((r) => new URL(r.url).pathname === '/console/');
    expect(shell?.headers['content-security-policy']).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
  });

  it('is readable at 1920 pixels too', async () => {
    const page = await signedInAdmin(1920);
    await page.getByTestId('overview-arrangements').waitFor();
    expect(await fitsWidth(page)).toBe(true);
  });

  it('rotates a key: the next key is added, the current one retired, and the timeline shows both', async () => {
    const page = await signedInAdmin();
    const current = scene.partners.get('EU')!;
    await showPage(page, '#/keys/EU', 'key-table');
    expect(await timelineKeys(page, 'EU').count()).toBe(1);

    const next = await createPartnerKey('EU');
    await page.getByRole('button', { name: 'Add a key…' }).click();
    const adding = page.getByRole('dialog');
    await adding.getByLabel("EU's public key (JWK, as the partner sent it)").fill(JSON.stringify(next.publicJwk));
    // The confirmation says which key will verify EU's lists, before anything is sent.
    expect(await adding.locator('.consequence').innerText()).toContain(next.kid);
    await adding.getByRole('button', { name: 'Add the key' }).click();
    await page.getByRole('status').waitFor();
    expect(await eventually(() => timelineKeys(page, 'EU').count(), (n) => n === 2)).toBe(2);
    expect((await euKeys()).map((k) => k.kid).sort()).toEqual([current.kid, next.kid].sort());

    // A revocation asked for and cancelled (by keyboard) sends nothing: the key stays as it was.
    const calls = requests.length;
    await page.locator(`[data-testid=key-table] tr[data-kid="${current.kid}"]`).getByRole('button', { name: 'Revoke…' }).click();
    await page.getByRole('dialog').getByLabel('Reason (kept in the audit log)').fill('never sent');
    await page.keyboard.press('Escape');
    expect(await eventually(() => page.getByRole('dialog').count(), (n) => n === 0)).toBe(0);
    expect(requests.slice(calls).filter((r) => r.url.includes('/revoke'))).toEqual([]);
    expect((await euKeys()).find((k) => k.kid === current.kid)?.state).toBe('active');

    const retireAt = new Date(Math.floor((Date.now() + 7 * DAY) / 60_000) * 60_000);
    await page.locator(`[data-testid=key-table] tr[data-kid="${current.kid}"]`).getByRole('button', { name: 'Retire…' }).click();
    const retiring = page.getByRole('dialog');
    await retiring.getByLabel('Stops being accepted at (UTC)').fill(retireAt.toISOString().slice(0, 16));
    expect(await retiring.locator('.consequence').innerText()).toContain(current.kid);
    await retiring.getByRole('button', { name: 'Retire the key' }).click();
    const bar = page.locator(`[data-testid=key-timeline] g.key[data-kid="${current.kid}"]`);
    expect(await eventually(() => bar.getAttribute('class'), (c) => c === 'key state-retiring')).toBe('key state-retiring');
    const retired = (await euKeys()).find((k) => k.kid === current.kid)!;
    expect(retired).toMatchObject({ state: 'retiring', notAfter: retireAt.toISOString() });
  });

  it('suspends an arrangement; the submission refused for it is in the log, with its problem', async () => {
    const page = await signedInAdmin();
    await showPage(page, '#/arrangements', 'arrangements');
    await page.locator('[data-testid=arrangements] tr[data-administration="JP"]').getByRole('button', { name: 'Suspend…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason (kept in the audit log and shown with the status)').fill('console test: programme review');
    await dialog.getByRole('button', { name: 'Suspend JP' }).click();
    const status = page.locator('[data-testid=arrangements] tr[data-administration="JP"] .badge');
    expect(await eventually(() => status.innerText(), (t) => t === 'suspended')).toBe('suspended');

    expect(await scene.submit('JP')).toBe(403);
    await showPage(page, '#/submissions', 'submissions');
    await page.getByLabel('Administration').fill('JP');
    await page.getByLabel('Outcome').selectOption('rejected');
    await page.getByRole('button', { name: 'Search' }).click();
    // Unfiltered, the log shows EU's accepted list too; filtered, only the refusal.
    const rows = page.locator('[data-testid=submissions] tbody tr');
    expect(await eventually(() => rows.count(), (n) => n === 1)).toBe(1);
    const refused = page.locator('[data-testid=submissions] tr[data-outcome="rejected"][data-administration="JP"]');
    expect(await refused.count()).toBe(1);
    expect(await refused.innerText()).toContain('mra-not-active');
    await refused.getByRole('link', { name: /Details/ }).click();
    expect(await page.getByTestId('submission-problem').innerText()).toContain('mra-not-active');

    // The change is audited under the name given at sign-in and the key that signed its token.
    const audit = await adminCall(scene.test.http, scene.admin, 'get', '/audit');
    const entry = (audit.body as { entries: { action: string; administration: string; actor: { sub: string; kid: string } }[] }).entries.find((e) => e.action === 'arrangement.suspend');
    expect(entry).toMatchObject({ administration: 'JP', actor: { sub: 'console-test', kid: scene.admin.kid } });
  });

  it('offers an audit-only key no change buttons, on any page', async () => {
    const page = await openPage();
    await signIn(page, base, writeKeyFile(keyDir, 'auditor.jwk', scene.auditor.privateJwk), 'auditor');
    for (const [hash, testId] of [
      ['#/keys/EU', 'key-table'],
      ['#/arrangements', 'arrangements'],
      ['#/receipt-keys', 'receipt-keys'],
      ['#/audit', 'audit-entries'],
      ['#/overview', 'overview-arrangements'],
    ] as const) {
      await showPage(page, hash, testId);
      expect(await page.getByRole('button', { name: CHANGE_BUTTONS }).count(), hash).toBe(0);
    }
    // The same pages offer them to a key with every role.
    const admin = await signedInAdmin();
    await showPage(admin, '#/keys/EU', 'key-table');
    expect(await admin.getByRole('button', { name: CHANGE_BUTTONS }).count()).toBeGreaterThan(0);
  });

  it("signs in from a computer whose clock is ten minutes off, dating its tokens by the gateway's clock", async () => {
    const page = await openPage();
    await page.clock.setSystemTime(new Date(Date.now() - 10 * 60_000));
    await signIn(page, base, adminKeyFile, 'late-clock');
    await page.getByTestId('overview-arrangements').waitFor();
    expect(await page.getByTestId('sign-in-error').count()).toBe(0);
  });

  it('refuses a wrong key file with a message, and stays signed out', async () => {
    const cases = [
      { name: 'public.jwk', content: JSON.stringify(scene.admin.publicJwk), reachesGateway: false },
      { name: 'not-json.jwk', content: 'this is not a key', reachesGateway: false },
      { name: 'key-set.json', content: JSON.stringify({ keys: [scene.admin.privateJwk] }), reachesGateway: false },
      { name: 'stranger.jwk', content: JSON.stringify(scene.stranger.privateJwk), reachesGateway: true },
    ];
    const messages = new Set<string>();
    for (const c of cases) {
      const page = await openPage();
      const before = responses.length;
      const file = path.join(keyDir, c.name);
      writeFileSync(file, c.content);
      await page.goto(`${base}/console/`);
      await page.getByLabel('Administrator key file (private JWK)').setInputFiles(file);
      await page.getByLabel('Your name, as the audit log records it').fill('someone');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const error = page.getByTestId('sign-in-error');
      await error.waitFor();
      messages.add(await error.innerText());
      expect(await page.getByTestId('signed-in-as').count(), c.name).toBe(0);
      const adminCalls = responses.slice(before).filter((r) => new URL(r.url).pathname.startsWith('/admin/'));
      // A file that is no usable key is refused in the page, before anything is sent; a key the gateway does not know, by the gateway.
      expect(adminCalls.map((r) => r.status), c.name).toEqual(c.reachesGateway ? [401] : []);
    }
    expect(messages.size).toBe(cases.length);
  });

  it('never sends a private key, signs a fresh token for every call, and keeps to its security policy', () => {
    const secrets = [scene.admin, scene.auditor, scene.stranger].map((k) => String(k.privateJwk.d));
    expect(requests.length).toBeGreaterThan(20);
    for (const r of requests) {
      const seen = [r.url, JSON.stringify(r.headers), r.body ?? ''].join('\n');
      for (const secret of secrets) expect(seen.includes(secret), r.url).toBe(false);
      expect(r.headers.cookie, r.url).toBeUndefined();
    }
    const calls = requests.filter((r) => new URL(r.url).pathname.startsWith('/admin/v1/'));
    const tokens = calls.map((r) => /^Bearer (.+)$/.exec(r.headers.authorization ?? '')?.[1]);
    expect(tokens.every((t) => t !== undefined)).toBe(true);
    const jtis = tokens.map((t) => decodeJwt(t!).jti);
    expect(new Set(jtis).size).toBe(calls.length);
    expect(tokens.map((t) => decodeProtectedHeader(t!).kid)).toContain(scene.admin.kid);
    // No script or style was refused by the policy, and no page error happened (401s of the stranger aside).
    expect(pageErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
