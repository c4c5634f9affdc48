import { exportJWK } from 'jose';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/admin/admin-commands.js';
import { runAdminTool } from '../../src/cli/admin/admin-tool.js';
import { captureIo } from '../support/cli-capture.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { submitSignedList } from '../support/submissions.js';
import { startTestGateway, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: unknown;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

async function cli(...argv: string[]): Promise<CliRun> {
  return cliWithEnv({}, ...argv);
}

async function cliWithEnv(env: Record<string, string>, ...argv: string[]): Promise<CliRun> {
  const io = captureIo();
  const code = await runAdminTool(argv, io, env);
  const [stdout, stderr] = [io.out(), io.err()];
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

describe('mra-admin, the administrators\' command-line tool', () => {
  let dir: string;
  let keyFile: string;
  let oldKey: PartnerSigningKey;
  let newKey: PartnerSigningKey;
  let test: TestGateway;
  const connection = () => ['--url', test.gateway.url, '--key', keyFile, '--sub', 'ops@cbp.example'];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mra-admin-cli-'));
    keyFile = path.join(dir, 'ops.jwk');
    const keygen = await cli('keygen', '--out', keyFile, '--kid', 'ops-2026');
    expect(keygen.code).toBe(0);
    oldKey = await createPartnerKey('EU');
    newKey = await createPartnerKey('EU');
    writeFileSync(path.join(dir, 'new-partner-key.json'), JSON.stringify(newKey.publicJwk));
    writeFileSync(path.join(dir, 'private-partner-key.json'), JSON.stringify({ ...(await exportJWK(newKey.privateKey)), kid: 'oops' }));
    test = await startTestGateway({ keys: [oldKey], adminKeys: [keygen.json as object] });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keygen writes a private JWK readable only by its owner, prints the public one, and never overwrites', async () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const privateJwk = JSON.parse(readFileSync(keyFile, 'utf8')) as Record<string, unknown>;
    expect(privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'ops-2026', alg: 'ES256', d: expect.any(String) as unknown });
    const again = await cli('keygen', '--out', keyFile);
    expect(again.code).toBe(2);
    expect(JSON.parse(readFileSync(keyFile, 'utf8'))).toEqual(privateJwk);
    const withRoles = await cli('keygen', '--out', path.join(dir, 'auditor.jwk'), '--roles', 'audit');
    expect(withRoles.code).toBe(0);
    expect(withRoles.json).toMatchObject({ roles: ['audit'] });
    expect(withRoles.json).not.toHaveProperty('d');
  });

  it('lists, adds, retires and revokes partner keys, with effect on submissions', async () => {
    const list = await cli('keys', 'list', 'EU', ...connection());
    expect(list.code).toBe(0);
    expect(list.json).toMatchObject({ administration: 'EU', keys: [{ kid: oldKey.kid, state: 'active' }] });

    const added = await cli('keys', 'add', 'EU', '--jwk', path.join(dir, 'new-partner-key.json'), ...connection());
    expect(added.code).toBe(0);
    expect(added.json).toMatchObject({ kid: newKey.kid, state: 'active' });
    expect((await submitSignedList(test.http, newKey)).status).toBe(202);

    const retired = await cli('keys', 'retire', 'EU', oldKey.kid, '--not-after', '+1h', ...connection());
    expect(retired.code).toBe(0);
    expect(retired.json).toMatchObject({ kid: oldKey.kid, state: 'retiring' });
    expect(Date.parse((retired.json as { notAfter: string }).notAfter) - Date.now()).toBeGreaterThan(59 * 60_000);
    expect((await submitSignedList(test.http, oldKey)).status).toBe(202);

    const revoked = await cli('keys', 'revoke', 'EU', newKey.kid, '--reason', 'compromised', ...connection());
    expect(revoked.code).toBe(0);
    expect(revoked.json).toMatchObject({ kid: newKey.kid, state: 'revoked' });
    const refused = await submitSignedList(test.http, newKey);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ type: 'urn:mra-gateway:problem:inactive-key' });
  });

  it('suspends and reinstates an arrangement', async () => {
    const suspended = await cli('arrangements', 'suspend', 'EU', '--reason', 'programme review', ...connection());
    expect(suspended.code).toBe(0);
    expect(suspended.json).toMatchObject({ code: 'EU', status: 'suspended' });
    const refused = await submitSignedList(test.http, oldKey);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ type: 'urn:mra-gateway:problem:mra-not-active' });

    const reinstated = await cli('arrangements', 'reinstate', 'EU', '--reason', 'review done', ...connection());
    expect(reinstated.code).toBe(0);
    expect((await submitSignedList(test.http, oldKey)).status).toBe(202);
    const shown = await cli('arrangements', 'show', 'EU', ...connection());
    expect(shown.json).toMatchObject({ status: 'active', statusChange: { reason: 'review done' } });
  });

  it('rotates the receipt key', async () => {
    const before = (await test.http.get('/.well-known/jwks.json')).body as { keys: { kid: string }[] };
    const rotated = await cli('receipt-keys', 'rotate', ...connection());
    expect(rotated.code).toBe(0);
    const signing = (rotated.json as { signing: string }).signing;
    expect(before.keys.map((k) => k.kid)).not.toContain(signing);
    const after = (await test.http.get('/.well-known/jwks.json')).body as { keys: { kid: string }[] };
    expect(after.keys.map((k) => k.kid).sort()).toEqual([...before.keys.map((k) => k.kid), signing].sort());
  });

  it('reads the whole audit trail of what it did, by page', async () => {
    const audit = await cli('audit', '--all', '--limit', '2', ...connection());
    expect(audit.code).toBe(0);
    const entries = (audit.json as { entries: { action: string; actor: { kid: string; sub: string } }[] }).entries;
    expect(entries.map((e) => e.action)).toEqual(['partner-key.add', 'partner-key.retire', 'partner-key.revoke', 'arrangement.suspend', 'arrangement.reinstate', 'receipt-key.rotate']);
    for (const entry of entries) expect(entry.actor).toMatchObject({ kid: 'ops-2026', sub: 'ops@cbp.example' });
  });

  it('prints the problem and exits 1 when the gateway refuses; exits 2 on usage errors without calling it', async () => {
    const refused = await cli('keys', 'revoke', 'EU', newKey.kid, '--reason', 'again', ...connection());
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(JSON.parse(refused.stderr.slice(refused.stderr.indexOf('{')))).toMatchObject({ type: 'urn:mra-gateway:problem:invalid-state-transition', status: 409 });

    const wrongKey = path.join(dir, 'stranger.jwk');
    expect((await cli('keygen', '--out', wrongKey)).code).toBe(0);
    const unknownAdmin = await cli('keys', 'list', 'EU', '--url', test.gateway.url, '--key', wrongKey, '--sub', 'stranger');
    expect(unknownAdmin.code).toBe(1);
    expect(unknownAdmin.stderr).toContain('urn:mra-gateway:problem:unauthorized');

    const auditBefore = ((await cli('audit', ...connection())).json as { entries: unknown[] }).entries.length;
    for (const argv of [
      ['keys', 'retire', 'EU', '--not-after', '+1h'],
      ['keys', 'revoke', 'EU', newKey.kid],
      ['keys', 'add', 'EU', '--jwk', path.join(dir, 'private-partner-key.json')],
      ['keys', 'retire', 'EU', oldKey.kid, '--not-after', 'next tuesday'],
      ['arrangements', 'suspend', 'EU', '--reason', 'x', '--force'],
      ['keys', 'explode', 'EU'],
    ]) {
      const run = await cli(...argv, ...connection());
      expect({ argv, code: run.code }).toEqual({ argv, code: 2 });
    }
    expect((await cli('keys', 'list', 'EU', '--url', test.gateway.url, '--key', keyFile)).code).toBe(2);
    expect(((await cli('audit', ...connection())).json as { entries: unknown[] }).entries).toHaveLength(auditBefore);
  });

  it('takes the connection from MRA_ADMIN_URL, MRA_ADMIN_KEY and MRA_ADMIN_SUB', async () => {
    const run = await cliWithEnv({ MRA_ADMIN_URL: test.gateway.url, MRA_ADMIN_KEY: keyFile, MRA_ADMIN_SUB: 'env-user' }, 'arrangements', 'suspend', 'JP', '--reason', 'from the environment');
    expect(run.code).toBe(0);
    const entries = ((await cli('audit', ...connection())).json as { entries: { action: string; administration: string; actor: { sub: string } }[] }).entries;
    expect(entries.at(-1)).toMatchObject({ action: 'arrangement.suspend', administration: 'JP', actor: { sub: 'env-user' } });
  });

  it('runs as a program: JSON on stdout with exit code 0, the problem on stderr with exit code 1', async () => {
    const run = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/mra-admin.ts'), ...args, ...connection()], { cwd: ROOT }, (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        });
      });
    const shown = await run('arrangements', 'show', 'JP');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ code: 'JP', status: 'suspended' });
    const refused = await run('arrangements', 'suspend', 'JP', '--reason', 'twice');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('urn:mra-gateway:problem:invalid-state-transition');
  });

  it('explains every command with --help', async () => {
    const overview = await cli('--help');
    expect(overview.code).toBe(0);
    for (const command of commands) {
      expect(overview.stdout).toContain(command.name);
      const help = await cli(...command.name.split(' '), '--help');
      expect({ command: command.name, code: help.code }).toEqual({ command: command.name, code: 0 });
      expect(help.stdout.startsWith(`Usage: mra-admin ${command.name}`)).toBe(true);
      for (const option of Object.keys(command.options)) expect(help.stdout).toContain(`--${option}`);
    }
  });
});
