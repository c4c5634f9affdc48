import { exportJWK } from 'jose';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/admin/admin-commands.js';
import { loadAdminKeys } from '../../src/config/admin-key-file.js';
import { runAdminTool } from '../../src/cli/admin/admin-tool.js';
import { captureIo } from '../support/cli-capture.js';
import { freePort } from '../support/gateway-process.js';
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

describe('mra admin, the administrators\' commands', () => {
  let dir: string;
  let keyFile: string;
  let oldKey: PartnerSigningKey;
  let newKey: PartnerSigningKey;
  let test: TestGateway;
  let adminPublic: Record<string, unknown>;
  const connection = () => ['--gateway-url', test.gateway.url, '--key', keyFile, '--sub', 'ops@cbp.example'];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mra-admin-cli-'));
    keyFile = path.join(dir, 'ops.jwk');
    const keygen = await cli('keygen', '--key', keyFile, '--kid', 'ops-2026');
    expect(keygen.code).toBe(0);
    adminPublic = keygen.json as Record<string, unknown>;
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
    const again = await cli('keygen', '--key', keyFile);
    expect(again.code).toBe(3);
    expect(JSON.parse(readFileSync(keyFile, 'utf8'))).toEqual(privateJwk);
    const withRoles = await cli('keygen', '--key', path.join(dir, 'auditor.jwk'), '--roles', 'audit');
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

  it('says which key and roles the gateway took it for', async () => {
    const me = await cli('me', ...connection());
    expect(me.code).toBe(0);
    expect(me.json).toMatchObject({ kid: 'ops-2026', sub: 'ops@cbp.example' });
  });

  it('shows the overview of every arrangement', async () => {
    const overview = await cli('overview', ...connection());
    expect(overview.code).toBe(0);
    const arrangements = (overview.json as { arrangements: { code: string; stale: boolean }[] }).arrangements;
    expect(arrangements.find((a) => a.code === 'EU')).toMatchObject({ code: 'EU' });
  });

  it('reads the whole audit trail of what it did, by page', async () => {
    const audit = await cli('audit', '--all', '--limit', '2', ...connection());
    expect(audit.code).toBe(0);
    const entries = (audit.json as { entries: { action: string; actor: { kid: string; sub: string } }[] }).entries;
    expect(entries.map((e) => e.action)).toEqual(['partner-key.add', 'partner-key.retire', 'partner-key.revoke', 'arrangement.suspend', 'arrangement.reinstate', 'receipt-key.rotate']);
    for (const entry of entries) expect(entry.actor).toMatchObject({ kid: 'ops-2026', sub: 'ops@cbp.example' });
  });

  it('prints the problem and exits 6 when the gateway refuses; exits 2 on usage errors and 3 on bad files without calling it', async () => {
    const refused = await cli('keys', 'revoke', 'EU', newKey.kid, '--reason', 'again', ...connection());
    expect(refused.code).toBe(6);
    expect(refused.json).toMatchObject({ type: 'urn:mra-gateway:problem:invalid-state-transition', status: 409 });

    const wrongKey = path.join(dir, 'stranger.jwk');
    expect((await cli('keygen', '--key', wrongKey)).code).toBe(0);
    const unknownAdmin = await cli('keys', 'list', 'EU', '--gateway-url', test.gateway.url, '--key', wrongKey, '--sub', 'stranger');
    expect(unknownAdmin.code).toBe(6);
    expect(unknownAdmin.json).toMatchObject({ type: 'urn:mra-gateway:problem:unauthorized' });

    const auditBefore = ((await cli('audit', ...connection())).json as { entries: unknown[] }).entries.length;
    for (const [code, argv] of [
      [2, ['keys', 'retire', 'EU', '--not-after', '+1h']],
      [2, ['keys', 'revoke', 'EU', newKey.kid]],
      [3, ['keys', 'add', 'EU', '--jwk', path.join(dir, 'private-partner-key.json')]],
      [3, ['keys', 'add', 'EU', '--jwk', path.join(dir, 'no-such-file.json')]],
      [2, ['keys', 'retire', 'EU', oldKey.kid, '--not-after', 'next tuesday']],
      [2, ['arrangements', 'suspend', 'EU', '--reason', 'x', '--force']],
      [2, ['keys', 'explode', 'EU']],
    ] as const) {
      const run = await cli(...argv, ...connection());
      expect({ argv, code: run.code }).toEqual({ argv, code });
    }
    expect((await cli('keys', 'list', 'EU', '--gateway-url', test.gateway.url, '--key', keyFile)).code).toBe(2);
    expect((await cli('keys', 'list', 'EU', '--gateway-url', test.gateway.url, '--key', path.join(dir, 'missing.jwk'), '--sub', 'x')).code).toBe(3);
    expect(((await cli('audit', ...connection())).json as { entries: unknown[] }).entries).toHaveLength(auditBefore);
  });

  it('takes the connection from MRA_GATEWAY_URL (or the older MRA_ADMIN_URL), MRA_ADMIN_KEY and MRA_ADMIN_SUB', async () => {
    const run = await cliWithEnv({ MRA_ADMIN_URL: test.gateway.url, MRA_ADMIN_KEY: keyFile, MRA_ADMIN_SUB: 'env-user' }, 'arrangements', 'suspend', 'JP', '--reason', 'from the environment');
    expect(run.code).toBe(0);
    const shown = await cliWithEnv({ MRA_GATEWAY_URL: test.gateway.url, MRA_ADMIN_URL: 'http://127.0.0.1:1', MRA_ADMIN_KEY: keyFile, MRA_ADMIN_SUB: 'env-user' }, 'arrangements', 'show', 'JP');
    expect(shown.code).toBe(0);
    const entries = ((await cli('audit', ...connection())).json as { entries: { action: string; administration: string; actor: { sub: string } }[] }).entries;
    expect(entries.at(-1)).toMatchObject({ action: 'arrangement.suspend', administration: 'JP', actor: { sub: 'env-user' } });
  });

  it('runs as a program (mra admin, and its short name mra-admin): JSON on stdout with exit code 0, the problem with exit code 6', async () => {
    const run = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/mra.ts'), 'admin', ...args, ...connection()], { cwd: ROOT }, (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        });
      });
    const shown = await run('arrangements', 'show', 'JP');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ code: 'JP', status: 'suspended' });
    const refused = await run('arrangements', 'suspend', 'JP', '--reason', 'twice');
    expect(refused.code).toBe(6);
    expect(JSON.parse(refused.stdout)).toMatchObject({ type: 'urn:mra-gateway:problem:invalid-state-transition' });
    const alias = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/mra-admin.ts'), 'arrangements', 'show', 'JP', ...connection()], { cwd: ROOT }, (error, stdout) => {
        resolve({ code: error ? Number(error.code) : 0, stdout });
      });
    });
    expect(alias.code).toBe(0);
    expect(JSON.parse(alias.stdout)).toEqual(JSON.parse(shown.stdout));
  });

  it('public-key prints the public half of an existing administrator key again', async () => {
    const shown = await cli('public-key', '--key', keyFile);
    expect(shown.code).toBe(0);
    expect(shown.json).toEqual(adminPublic);
    const limited = await cliWithEnv({ MRA_ADMIN_KEY: keyFile }, 'public-key', '--roles', 'audit,keys');
    expect(limited.json).toEqual({ ...adminPublic, roles: ['audit', 'keys'] });
    expect((await cli('public-key', '--key', path.join(dir, 'new-partner-key.json'))).code).toBe(3);
  });

  it('config add-key writes an admin-keys.json the gateway starts with, and never one it would refuse', async () => {
    const configDir = path.join(dir, 'fresh-config', 'nested');
    const file = path.join(configDir, 'admin-keys.json');
    const added = await cli('config', 'add-key', '--file', file, '--key', keyFile);
    expect(added.code).toBe(0);
    expect(added.json).toEqual(adminPublic);
    expect(loadAdminKeys(configDir)?.map((k) => ({ kid: k.kid, roles: k.roles }))).toEqual([{ kid: 'ops-2026', roles: ['keys', 'arrangements', 'receipt-keys', 'audit', 'members:read'] }]);

    // The same key again changes nothing; a colleague's public key keeps the roles it carries.
    const text = readFileSync(file, 'utf8');
    expect((await cli('config', 'add-key', '--file', file, '--key', keyFile)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(text);
    const auditorKey = path.join(dir, 'auditor-2.jwk');
    const auditor = await cli('keygen', '--key', auditorKey, '--kid', 'auditor-2', '--roles', 'audit', '--public-key', path.join(dir, 'auditor-2.pub.json'));
    expect(auditor.code).toBe(0);
    expect(auditor.stdout).toBe('');
    expect((await cli('config', 'add-key', '--file', file, '--jwk', path.join(dir, 'auditor-2.pub.json'))).code).toBe(0);
    expect(loadAdminKeys(configDir)?.map((k) => ({ kid: k.kid, roles: k.roles }))).toEqual([
      { kid: 'ops-2026', roles: ['keys', 'arrangements', 'receipt-keys', 'audit', 'members:read'] },
      { kid: 'auditor-2', roles: ['audit'] },
    ]);

    // --dry-run checks and prints the file as it would be, without writing it.
    const another = path.join(dir, 'another.jwk');
    expect((await cli('keygen', '--key', another, '--kid', 'another')).code).toBe(0);
    const before = readFileSync(file, 'utf8');
    const dry = await cli('config', 'add-key', '--file', file, '--key', another, '--dry-run');
    expect(dry.code).toBe(0);
    expect((dry.json as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual(['ops-2026', 'auditor-2', 'another']);
    expect(readFileSync(file, 'utf8')).toBe(before);

    // Keys the gateway would refuse at start-up are refused here, and the file is left as it was.
    const write = (name: string, value: unknown) => {
      writeFileSync(path.join(dir, name), JSON.stringify(value));
      return path.join(dir, name);
    };
    for (const [code, argv] of [
      [3, ['--jwk', path.join(dir, 'private-partner-key.json')]],
      [3, ['--jwk', write('ed25519-identity.json', { kty: 'OKP', crv: 'Ed25519', kid: 'identity', x: Buffer.from(`01${'00'.repeat(31)}`, 'hex').toString('base64url') })]],
      [3, ['--jwk', write('same-kid.json', { ...(JSON.parse(readFileSync(path.join(dir, 'auditor-2.pub.json'), 'utf8')) as object), kid: 'ops-2026' })]],
      [3, ['--jwk', write('no-kid.json', { kty: 'EC', crv: 'P-256', x: adminPublic.x, y: adminPublic.y })]],
      [2, ['--jwk', path.join(dir, 'auditor-2.pub.json'), '--roles', 'superuser']],
      [2, ['--jwk', path.join(dir, 'auditor-2.pub.json'), '--key', keyFile]],
      [2, []],
    ] as const) {
      const run = await cli('config', 'add-key', '--file', file, ...argv);
      expect({ argv, code: run.code }).toEqual({ argv, code });
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
    writeFileSync(path.join(dir, 'broken-keys.json'), '{"keys": {}}');
    expect((await cli('config', 'add-key', '--file', path.join(dir, 'broken-keys.json'), '--key', keyFile)).code).toBe(3);

    // A gateway started with the file lets the key in.
    const other = await startTestGateway({ adminKeys: readFileSync(file, 'utf8') });
    try {
      const listed = await cli('arrangements', 'list', '--gateway-url', other.gateway.url, '--key', keyFile, '--sub', 'ops@cbp.example');
      expect(listed.code).toBe(0);
    } finally {
      await disposeTestGateway(other);
    }
  });

  it('says exit code 5 for a gateway that cannot be reached, and for a base URL where it has no admin API', async () => {
    const unreachable = await cli('arrangements', 'list', '--gateway-url', `http://127.0.0.1:${await freePort()}`, '--key', keyFile, '--sub', 'x');
    expect(unreachable.code).toBe(5);
    expect(unreachable.stdout).toBe('');
    const wrongPrefix = await cli('arrangements', 'list', '--gateway-url', `${test.gateway.url}/wrong/prefix`, '--key', keyFile, '--sub', 'x');
    expect(wrongPrefix.code).toBe(5);
    expect((await cli('arrangements', 'list', '--gateway-url', 'ftp://example', '--key', keyFile, '--sub', 'x')).code).toBe(2);
  });

  it('explains every command with --help', async () => {
    const overview = await cli('--help');
    expect(overview.code).toBe(0);
    for (const command of commands) {
      const [first, verb] = command.name.split(' ');
      expect(overview.stdout).toContain(first);
      if (verb !== undefined) expect((await cli(first!, '--help')).stdout).toContain(verb);
      const help = await cli(...command.name.split(' '), '--help');
      expect({ command: command.name, code: help.code }).toEqual({ command: command.name, code: 0 });
      expect(help.stdout.startsWith(`Usage: mra admin ${command.name}`)).toBe(true);
      for (const option of command.options) expect(help.stdout).toContain(option.flags.split(' ')[0]);
      if (command.remote) for (const option of ['--gateway-url', '--key', '--sub']) expect(help.stdout).toContain(option);
    }
  });
});
