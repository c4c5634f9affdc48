import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';

/** Debian's Chromium (`apt-get install chromium`, which .ci/run does when it is missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The flags every run uses: headless, as root without the sandbox, and nothing that reaches out to
 * the internet (this machine's network is closed; Chromium's background connections would fail).
 */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

const CONSOLE_CONFIG = path.resolve(import.meta.dirname, '../../console/vite.config.ts');

/** Builds the console as `npm run build` does, into a directory of its own (never into the repository). */
export async function buildConsole(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mra-console-'));
  await build({ configFile: CONSOLE_CONFIG, mode: 'production', logLevel: 'error', build: { outDir: dir, emptyOutDir: true } });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Chromium from Debian, driven by playwright-core; fails loudly (never skips) when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** Writes an administrator's private JWK to a file, as `mra admin keygen` would, for the page's file input. */
export function writeKeyFile(dir: string, name: string, jwk: object): string {
  const file = path.join(dir, name);
  writeFileSync(file, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/**
 * Goes to a page of the signed-in console by changing the address' hash, as its links do (loading the
 * address anew would reload the page, which forgets the key), and waits for an element of it.
 */
export async function showPage(page: Page, hash: string, testId: string): Promise<void> {
  await page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
  await page.getByTestId(testId).waitFor();
}

/** Whether the page fits the window's width (no horizontal scrolling). */
export async function fitsWidth(page: Page): Promise<boolean> {
  return (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')) === true;
}

/** Opens the console and signs in with a key file, as an administrator does; waits for the overview. */
export async function signIn(page: Page, baseUrl: string, keyFile: string, sub: string): Promise<void> {
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('Administrator key file (private JWK)').setInputFiles(keyFile);
  await page.getByLabel('Your name, as the audit log records it').fill(sub);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
}
