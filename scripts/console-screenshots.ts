// npm run console:screenshots: a picture of each page of the console, written to docs/console/ (and
// shown in the README). It builds the console, starts a gateway with two weeks of exchange from six
// partners (one that stopped delivering, one refused for a schema error, one suspended, keys rolling
// over and running out), signs in with an administrator key file in Debian's Chromium, as the browser
// tests do, and photographs each page at 1280 pixels wide (the overview at 1920 too).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { adminCall } from '../test/support/admin-tokens.js';
import { memberOf } from '../test/support/administration-members.js';
import { buildConsole, launchChromium, showPage, signIn, writeKeyFile } from '../test/support/console-browser.js';
import { startConsoleScene } from '../test/support/console-scene.js';
import { createPartnerKey } from '../test/support/partner-keys.js';

const OUT = path.resolve(import.meta.dirname, '../docs/console');
const DAY = 86_400_000;
const HOUR = 3_600_000;

const built = await buildConsole();
const scene = await startConsoleScene({
  consoleDir: built.dir,
  administrations: ['EU', 'GB', 'JP', 'MX', 'KR', 'CA'],
  keyWindows: { EU: { notAfterDays: 20 }, JP: { notAfterDays: 12 }, GB: { notAfterDays: 200 } },
});
const browser = await launchChromium();
try {
  await seed();
  mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${scene.test.gateway.url}/console/`);
  await shoot(page, 'sign-in');
  const keyFile = writeKeyFile(built.dir, 'admin.jwk', scene.admin.privateJwk);
  await signIn(page, scene.test.gateway.url, keyFile, 'j.doe (CBP CTPAT)');
  await page.getByTestId('submissions-chart').waitFor();
  await shoot(page, 'overview');
  await page.setViewportSize({ width: 1920, height: 1000 });
  await shoot(page, 'overview-1920');
  await page.setViewportSize({ width: 1280, height: 900 });

  await showPage(page, '#/keys/EU', 'key-table');
  await shoot(page, 'partner-keys');
  await page.getByRole('row').filter({ hasText: scene.partners.get('EU')!.kid }).getByRole('button', { name: 'Retire…' }).click();
  await page.getByRole('dialog').waitFor();
  await shoot(page, 'partner-keys-retire', false);
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

  await showPage(page, '#/arrangements', 'arrangements');
  await shoot(page, 'arrangements');
  await showPage(page, '#/submissions', 'submissions');
  await shoot(page, 'submissions', false);
  await page.getByRole('row').filter({ hasText: 'schema-violation' }).first().getByRole('link', { name: /Details/ }).click();
  await page.getByTestId('submission-problem').waitFor();
  await shoot(page, 'submission-detail');
  await showPage(page, '#/audit', 'audit-entries');
  await shoot(page, 'audit');
  await showPage(page, '#/receipt-keys', 'receipt-keys');
  await shoot(page, 'receipt-keys');
  console.log(`screenshots written to ${path.relative(process.cwd(), OUT)}/`);
} finally {
  await browser.close();
  await scene.dispose();
  built.remove();
}

/** Two weeks of lists: five partners daily (with the odd re-send), GB refused twice, MX silent for three days, KR suspended today. */
async function seed(): Promise<void> {
  let offset = 0;
  const at = async (ms: number) => {
    scene.clock.advance(ms - offset);
    offset = ms;
  };
  for (let day = 14; day >= 0; day--) {
    for (const [i, code] of (['EU', 'GB', 'JP', 'MX', 'KR', 'CA'] as const).entries()) {
      if (code === 'MX' && day < 3) continue;
      await at(-day * DAY - (day === 0 ? 3 : 6) * HOUR + i * 600_000);
      const members = [memberOf(code, 1), memberOf(code, 2), memberOf(code, 3 + (14 - day))];
      const list = await scene.sign(code, members);
      await scene.send(list);
      // A partner that re-sends the same message (a replay, answered with the first receipt).
      if (code === 'JP' && day % 5 === 0) await scene.send(list);
      if (code === 'GB' && (day === 9 || day === 4)) await scene.submit(code, members, { kind: 'everything' as 'snapshot' });
    }
  }
  await at(0);
  const admin = (method: 'post' | 'patch', route: string, body: object) => adminCall(scene.test.http, scene.admin, method, route, body, { claims: { sub: 'a.smith (CBP CTPAT)' } });
  const next = await createPartnerKey('EU');
  await admin('post', '/administrations/EU/keys', { jwk: next.publicJwk, notBefore: new Date(Date.now() + 10 * DAY).toISOString(), notAfter: new Date(Date.now() + 400 * DAY).toISOString() });
  await admin('patch', '/administrations/KR', { status: 'suspended', reason: 'Joint validation review of the KR programme' });
  await scene.submit('KR');
  await admin('post', '/receipt-keys/rotate', {});
}

async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage });
}
