import type { Command } from 'commander';
import { exportJWK, generateKeyPair } from 'jose';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/cli-error.js';
import { buildProgram } from '../../src/cli/mra-program.js';
import { generatePartnerKey } from '../../src/cli/partner/partner-key-files.js';
import { BROKER_URL } from '../support/broker.js';
import { freePort } from '../support/gateway-process.js';
import { euMember, memberList } from '../support/member-lists.js';
import { partnerToolKey } from '../support/partner-keys.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string>; scripts: Record<string, string> };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an entry of src/cli as the installed bin does (node, through tsx), with its own environment. */
function run(entry: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli', entry), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const mra = (...args: string[]) => run('mra.ts', args);

/** Runs `tasks` at most `width` at a time (each spawns a node process). */
async function inBatches<T>(tasks: readonly (() => Promise<T>)[], width = 4): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < tasks.length; i += width) results.push(...(await Promise.all(tasks.slice(i, i + width).map((task) => task()))));
  return results;
}

/** Every command of the tree, as the words after `mra`, with the long flags of its options. */
function commandTree(): { words: string[]; flags: string[] }[] {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const program = buildProgram({ io: { stdout: sink, stderr: sink }, env: {}, exitCode: 0 });
  const found: { words: string[]; flags: string[] }[] = [];
  const walk = (command: Command, words: string[]) => {
    found.push({ words, flags: command.options.map((o) => o.long).filter((f): f is string => f !== undefined) });
    for (const sub of command.commands) walk(sub, [...words, sub.name()]);
  };
  walk(program, []);
  return found;
}


describe('mra, through its real entry point', () => {
  it('--version prints the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await mra(flag);
      expect(result).toMatchObject({ code: 0, stdout: `${packageJson.version}\n` });
    }
  });

  it('--help works on every command and subcommand, names its options and gives the exit codes', async () => {
    const tree = commandTree();
    expect(tree.map((c) => c.words.join(' '))).toEqual(
      expect.arrayContaining(['partner keygen', 'partner sign', 'partner push', 'partner send', 'admin keys list', 'admin keys add', 'admin keys retire', 'admin keys revoke', 'admin arrangements suspend', 'admin receipt-keys rotate', 'admin audit', 'admin keygen', 'admin public-key', 'admin config add-key', 'consumer tail']),
    );
    const results = await inBatches(tree.map(({ words }) => () => mra(...words, '--help')));
    tree.forEach(({ words, flags }, i) => {
      const result = results[i]!;
      expect({ words, code: result.code }).toEqual({ words, code: 0 });
      expect(result.stdout.startsWith(`Usage: ${['mra', ...words].join(' ')}`)).toBe(true);
      for (const flag of flags) expect({ words, flag, named: result.stdout.includes(flag) }).toEqual({ words, flag, named: true });
      for (const code of Object.values(EXIT_CODES)) expect(result.stdout).toMatch(new RegExp(`^ {2}${code} {2}`, 'm'));
    });
  }, 120_000);

  it('a usage error is exit code 2 with the --help to try', async () => {
    const cases = [[], ['partner'], ['partner', 'send'], ['partner', 'send', '--key', 'k', '--list', 'l', '--no-such-option'], ['partner', 'keygen', '--administration', 'europe', '--key', 'k'], ['no-such-command'], ['admin', 'keys', 'list'], ['consumer', 'tail', '--count', 'many']];
    const results = await inBatches(cases.map((args) => () => mra(...args)));
    cases.forEach((args, i) => {
      expect({ args, code: results[i]!.code }).toEqual({ args, code: EXIT_CODES.usage });
      expect(results[i]!.stderr).toMatch(/--help/);
    });
    // A command named but not complete names itself in the hint.
    expect(results[2]!.stderr).toContain('mra partner send --help');
  }, 60_000);

  it('the short names run the same subcommands: mra-partner, mra-admin, mra-consumer', async () => {
    const pairs: [string, string[], string[]][] = [
      ['mra-partner.ts', ['send', '--help'], ['partner', 'send', '--help']],
      ['mra-admin.ts', ['keys', 'add', '--help'], ['admin', 'keys', 'add', '--help']],
      ['mra-consumer.ts', ['--help'], ['consumer', '--help']],
      ['mra-partner.ts', ['send'], ['partner', 'send']],
    ];
    const results = await inBatches(pairs.flatMap(([entry, aliasArgs, args]) => [() => run(entry, aliasArgs), () => mra(...args)]));
    pairs.forEach((pair, i) => {
      const [alias, full] = [results[2 * i]!, results[2 * i + 1]!];
      expect({ pair, code: alias.code, stdout: alias.stdout, stderr: alias.stderr }).toEqual({ pair, code: full.code, stdout: full.stdout, stderr: full.stderr });
    });
  }, 60_000);

  it('package.json names the bins and scripts of these entries', () => {
    expect(packageJson.bin).toEqual({ mra: 'dist/cli/mra.js', 'mra-partner': 'dist/cli/mra-partner.js', 'mra-admin': 'dist/cli/mra-admin.js', 'mra-consumer': 'dist/cli/mra-consumer.js' });
    for (const target of Object.values(packageJson.bin)) expect(existsSync(path.join(ROOT, target.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')))).toBe(true);
    expect(packageJson.scripts).toMatchObject({ mra: 'tsx src/cli/mra.ts', partner: 'tsx src/cli/mra-partner.ts', admin: 'tsx src/cli/mra-admin.ts', consumer: 'tsx src/cli/mra-consumer.ts' });
  });

  describe('the exit-code table, against a real gateway and broker', () => {
    let dir: string;
    let test: TestGateway;
    let keyFile: string;
    let adminKey: string;
    const file = (name: string) => path.join(dir, name);
    const list = (name: string, value: unknown = memberList([euMember()])) => {
      writeFileSync(file(name), JSON.stringify(value));
      return file(name);
    };

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'mra-cli-'));
      keyFile = file('eu.jwk.json');
      const registered = await partnerToolKey(keyFile);
      adminKey = file('admin.jwk');
      const keygen = await mra('admin', 'keygen', '--key', adminKey, '--kid', 'cli-admin');
      expect(keygen.code).toBe(0);
      test = await startTestGateway({ keys: [registered], adminKeys: [JSON.parse(keygen.stdout) as object] });
      await generatePartnerKey({ administration: 'EU', alg: 'ES256', privateKeyFile: file('stranger.jwk.json') });
      const { publicKey } = await generateKeyPair('ES256');
      writeFileSync(file('other-jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'not-the-gateway', alg: 'ES256', use: 'sig' }] }));
    }, 60_000);

    afterAll(async () => {
      await disposeTestGateway(test);
      rmSync(dir, { recursive: true, force: true });
    });

    it('0 done, 3 file, 4 schema, 5 unreachable, 6 refused, 7 receipt, in every part of mra', async () => {
      const gateway = ['--gateway-url', test.gateway.url];
      const admin = [...gateway, '--key', adminKey, '--sub', 'cli-test'];
      const nowhere = `http://127.0.0.1:${await freePort()}`;
      const cases: { expect: number; args: string[] }[] = [
        { expect: EXIT_CODES.ok, args: ['partner', 'send', ...gateway, '--key', keyFile, '--list', list('ok.json'), '--stamp'] },
        { expect: EXIT_CODES.ok, args: ['admin', 'keys', 'list', 'EU', ...admin] },
        { expect: EXIT_CODES.file, args: ['partner', 'send', ...gateway, '--key', keyFile, '--list', file('missing.json')] },
        { expect: EXIT_CODES.file, args: ['partner', 'send', ...gateway, '--key', file('missing.jwk.json'), '--list', list('any.json')] },
        { expect: EXIT_CODES.file, args: ['admin', 'keys', 'add', 'EU', '--jwk', file('missing.pub.json'), ...admin] },
        { expect: EXIT_CODES.schema, args: ['partner', 'send', ...gateway, '--key', keyFile, '--list', list('bad.json', { ...memberList([euMember()]), kind: 'everything' })] },
        { expect: EXIT_CODES.unreachable, args: ['partner', 'send', '--gateway-url', nowhere, '--key', keyFile, '--list', list('nowhere.json'), '--stamp'] },
        { expect: EXIT_CODES.unreachable, args: ['admin', 'arrangements', 'list', '--gateway-url', nowhere, '--key', adminKey, '--sub', 'cli-test'] },
        { expect: EXIT_CODES.unreachable, args: ['consumer', 'tail', '--amqp-url', `amqp://guest:guest@127.0.0.1:${await freePort()}`] },
        { expect: EXIT_CODES.refused, args: ['partner', 'send', ...gateway, '--key', file('stranger.jwk.json'), '--list', list('stranger.json'), '--stamp'] },
        { expect: EXIT_CODES.refused, args: ['admin', 'keys', 'revoke', 'EU', 'no-such-kid', '--reason', 'test', ...admin] },
        { expect: EXIT_CODES.refused, args: ['consumer', 'tail', '--amqp-url', BROKER_URL, '--queue', 'no.such.queue.for.mra.cli'] },
        { expect: EXIT_CODES.receipt, args: ['partner', 'send', ...gateway, '--key', keyFile, '--list', list('pinned.json'), '--stamp', '--jwks', file('other-jwks.json')] },
      ];
      const results = await inBatches(cases.map(({ args }) => () => mra(...args)));
      cases.forEach(({ expect: code, args }, i) => {
        expect({ args, code: results[i]!.code, stderr: results[i]!.stderr }).toMatchObject({ args, code });
      });
      // A refusal prints the gateway's problem document.
      expect(JSON.parse(results[9]!.stdout)).toMatchObject({ type: 'urn:mra-gateway:problem:unknown-key' });
      expect(JSON.parse(results[10]!.stdout)).toMatchObject({ type: 'urn:mra-gateway:problem:partner-key-not-found' });
    }, 120_000);
  });
});
