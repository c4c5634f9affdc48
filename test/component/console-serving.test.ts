/**
 * The administrators' web console under /console/: a static build served from CONSOLE_DIR with a page
 * policy of its own, immutable caching for its hashed assets only, nothing outside the directory, and
 * the gateway's usual problems for everything else, including a console that was never built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemTypeUri } from '../../src/domain/problem-types.js';
import { CONSOLE_CONTENT_SECURITY_POLICY } from '../../src/http/console-router.js';
import { SECURITY_HEADERS } from '../../src/http/request-context.js';
import { adminCall, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { temporaryDirectories } from '../support/temp-dirs.js';

const API_POLICY = SECURITY_HEADERS['Content-Security-Policy'];
const INDEX = '<!doctype html><html><head><script type="module" src="/console/assets/app-abc123.js"></script></head><body></body></html>';
const SCRIPT = 'document.body.textContent = "console";\n';
/** Beside the console, as the project's package.json is beside dist/console: never served. */
const OUTSIDE = '{"name": "outside the console directory"}';

/** A GET with the path sent exactly as written: fetch and supertest would resolve `%2e%2e` and `..` first. */
function rawGet(base: string, rawPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, path: rawPath, method: 'GET', agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

/** A project-like tree: root/package.json, root/dist/console/{index.html, assets/, .env}. */
function consoleTree(root: string): string {
  const dir = path.join(root, 'dist', 'console');
  mkdirSync(path.join(dir, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'package.json'), OUTSIDE);
  writeFileSync(path.join(root, 'dist', 'secret.txt'), OUTSIDE);
  writeFileSync(path.join(dir, 'index.html'), INDEX);
  writeFileSync(path.join(dir, 'assets', 'app-abc123.js'), SCRIPT);
  writeFileSync(path.join(dir, '.env'), 'TOKEN=not-for-browsers');
  return dir;
}

describe('the console, built', () => {
  // Made once for the file, so not with temporaryDirectories (which clears after each test).
  const root = mkdtempSync(path.join(tmpdir(), 'mra-console-'));
  let admin: AdminSigningKey;
  let test: TestGateway | undefined;

  beforeAll(async () => {
    admin = await createAdminKey();
    test = await startTestGateway({ adminKeys: [admin.publicJwk], env: { CONSOLE_DIR: consoleTree(root) } });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
    rmSync(root, { recursive: true, force: true });
  });

  it('moves /console to /console/', async () => {
    const response = await test!.http.get('/console').redirects(0);
    expect([301, 308]).toContain(response.status);
    expect(response.headers.location).toBe('/console/');
  });

  it('serves index.html at /console/ with the page policy, no-store, and the other security headers', async () => {
    const response = await test!.http.get('/console/');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html\b/);
    expect(response.text).toBe(INDEX);
    expect(response.headers['content-security-policy']).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['strict-transport-security']).toBe(SECURITY_HEADERS['Strict-Transport-Security']);
  });

  it('answers HEAD /console/ like GET, without a body', async () => {
    const response = await test!.http.head('/console/');
    expect(response.status).toBe(200);
    expect(response.headers['content-security-policy']).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
    expect(response.text ?? '').toBe('');
  });

  it('serves a hashed asset as JavaScript, cached for good', async () => {
    const response = await test!.http.get('/console/assets/app-abc123.js');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/javascript\b/);
    expect(response.text).toBe(SCRIPT);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['content-security-policy']).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each([
    ['a missing file', '/console/nope.js'],
    ['a missing asset', '/console/assets/app-def456.js'],
    ['a directory (no listing, no redirect)', '/console/assets/'],
    ['a directory without its slash', '/console/assets'],
    ['a dotfile', '/console/.env'],
  ])('answers %s with the usual 404 problem, not index.html', async (_name, url) => {
    const response = await test!.http.get(url).redirects(0);
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json\b/);
    expect(response.body).toMatchObject({ type: problemTypeUri('not-found'), status: 404 });
    // A problem keeps the API's policy and is never cached.
    expect(response.headers['content-security-policy']).toBe(API_POLICY);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'] as const)('answers %s /console/ with a 405 problem allowing GET, HEAD', async (method) => {
    const response = await test!.http[method.toLowerCase() as 'post' | 'put' | 'delete' | 'patch']('/console/').send({});
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json\b/);
    expect(response.body).toMatchObject({ type: problemTypeUri('method-not-allowed'), status: 405 });
  });

  it('answers POST on an asset with 405 too: the console is read-only', async () => {
    const response = await test!.http.post('/console/assets/app-abc123.js');
    expect(response.status).toBe(405);
    expect(response.body).toMatchObject({ type: problemTypeUri('method-not-allowed') });
  });

  it.each([
    '/console/..%2f..%2fpackage.json',
    '/console/..%2fsecret.txt',
    '/console/%2e%2e/secret.txt',
    '/console/%2e%2e/%2e%2e/package.json',
    '/console/../secret.txt',
    '/console/assets/..%2f..%2fsecret.txt',
    '/console/%2e%2e%5csecret.txt',
    '/console/..%5c..%5cpackage.json',
  ])('serves nothing outside CONSOLE_DIR for %s', async (rawPath) => {
    const response = await rawGet(test!.gateway.url, rawPath);
    expect(response.body).not.toContain('outside the console directory');
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  });

  it('leaves the API policy on the admin API, the probes and the documents', async () => {
    const overview = await adminCall(test!.http, admin, 'get', '/overview');
    expect(overview.status).toBe(200);
    expect(overview.headers['content-security-policy']).toBe(API_POLICY);
    const unauthenticated = await test!.http.get('/admin/v1/overview');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers['content-security-policy']).toBe(API_POLICY);
    for (const url of ['/healthz', '/openapi.json', '/.well-known/jwks.json', '/nothing-here']) {
      const response = await test!.http.get(url);
      expect(response.headers['content-security-policy'], url).toBe(API_POLICY);
      expect(response.headers['content-security-policy'], url).not.toBe(CONSOLE_CONTENT_SECURITY_POLICY);
    }
  });
});

describe('the console, not built', () => {
  const directory = temporaryDirectories('mra-console-');
  let test: TestGateway | undefined;

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  it('starts anyway, warns once naming CONSOLE_DIR, and answers /console/ with a 503 problem', async () => {
    const empty = directory();
    test = await startTestGateway({ env: { CONSOLE_DIR: empty } });
    expect((await test.http.get('/healthz')).status).toBe(200);

    const warnings = test.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.level === 'warn' && String(line.message).includes('CONSOLE_DIR'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.consoleDir).toBe(empty);

    const response = await test.http.get('/console/');
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json\b/);
    expect(response.body).toMatchObject({ type: problemTypeUri('service-unavailable'), status: 503 });
    expect(String((response.body as { detail: string }).detail)).toContain('npm run build');
    expect(response.headers['content-security-policy']).toBe(API_POLICY);

    // The redirect still leads there, and any other path is the usual 404.
    expect((await test.http.get('/console').redirects(0)).headers.location).toBe('/console/');
    expect((await test.http.get('/console/assets/app-abc123.js')).status).toBe(404);
  });

  it('starts on a CONSOLE_DIR that does not exist at all', async () => {
    const missing = path.join(directory(), 'no-such-dir');
    const other = await startTestGateway({ env: { CONSOLE_DIR: missing } });
    try {
      expect((await other.http.get('/console/')).status).toBe(503);
      expect((await other.http.get('/console/index.html')).status).toBe(404);
    } finally {
      await disposeTestGateway(other);
    }
  });
});
