import type { JWK } from 'jose';
import { readFileSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { writeLine, type CliIo } from '../cli-io.js';
import { AdminClient, ProblemResponse } from './admin-client.js';
import { commands, type CommandSpec, type OptionSpec } from './admin-commands.js';
import { UsageError } from './usage-error.js';

/** The environment variables the tool reads (MRA_ADMIN_URL, MRA_ADMIN_KEY, MRA_ADMIN_SUB). */
export type AdminToolEnv = Record<string, string | undefined>;

const DEFAULT_URL = 'http://127.0.0.1:8080';

const REMOTE_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string', description: `gateway base URL (env MRA_ADMIN_URL; default ${DEFAULT_URL})` },
  key: { type: 'string', description: 'file with your administrator private JWK (env MRA_ADMIN_KEY)' },
  sub: { type: 'string', description: 'who you are, recorded in the audit log (env MRA_ADMIN_SUB)' },
};

const PRIVATE_FILE_MODE_BITS = 0o077;

/**
 * mra-admin: signs a short-lived admin token with the administrator's private key for every call and
 * prints the gateway's JSON answer. Exit codes: 0 done, 1 the gateway refused or could not be reached
 * (its problem document goes to stderr), 2 the command was called wrongly.
 */
export async function runAdminTool(argv: readonly string[], io: CliIo, env: AdminToolEnv): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (argv.length === 0 || (words.length === 0 && wantsHelp) || words[0] === 'help') {
    io.stdout.write(overview());
    return 0;
  }
  const command = findCommand(words);
  if (!command) {
    const group = commands.filter((c) => c.name.split(' ')[0] === words[0]);
    if (group.length > 0 && (wantsHelp || words.length === 1)) {
      io.stdout.write(overview(group));
      return wantsHelp ? 0 : 2;
    }
    writeLine(io.stderr, `mra-admin: unknown command "${words.slice(0, 2).join(' ')}". Run mra-admin --help.`);
    return 2;
  }
  if (wantsHelp) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  try {
    const { args, options } = parse(command, argv.slice(command.name.split(' ').length));
    const client = command.remote ? clientFor(options, io, env) : undefined;
    const result = await command.run({
      args,
      options,
      client: () => {
        if (!client) throw new Error(`${command.name} does not call the gateway`);
        return client;
      },
      note: (text) => writeLine(io.stderr, text),
    });
    writeLine(io.stdout, JSON.stringify(result, null, 2));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      writeLine(io.stderr, `mra-admin ${command.name}: ${error.message}\nRun mra-admin ${command.name} --help.`);
      return 2;
    }
    if (error instanceof ProblemResponse) {
      writeLine(io.stderr, `mra-admin ${command.name}: the gateway refused (${error.status}):\n${JSON.stringify(error.problem, null, 2)}`);
      return 1;
    }
    writeLine(io.stderr, `mra-admin ${command.name}: ${(error as Error).message}`);
    return 1;
  }
}

function findCommand(words: readonly string[]): CommandSpec | undefined {
  return commands.find((c) => c.name === words.slice(0, 2).join(' ')) ?? commands.find((c) => c.name === words[0]);
}

function parse(command: CommandSpec, rest: readonly string[]) {
  const options: ParseArgsConfig['options'] = {};
  for (const [name, spec] of Object.entries({ ...command.options, ...(command.remote ? REMOTE_OPTIONS : {}) })) options[name] = { type: spec.type };
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length !== command.positionals.length) {
    throw new UsageError(`expects ${command.positionals.length === 0 ? 'no arguments' : command.positionals.join(' ')}, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}`);
  }
  const args = Object.fromEntries(command.positionals.map((name, i) => [name, parsed.positionals[i]!]));
  return { args, options: parsed.values as Record<string, string | boolean | undefined> };
}

function clientFor(options: Record<string, string | boolean | undefined>, io: CliIo, env: AdminToolEnv): AdminClient {
  const pick = (name: string, variable: string) => {
    const value = options[name];
    return typeof value === 'string' ? value : env[variable];
  };
  const url = pick('url', 'MRA_ADMIN_URL') ?? DEFAULT_URL;
  const keyFile = pick('key', 'MRA_ADMIN_KEY');
  const sub = pick('sub', 'MRA_ADMIN_SUB');
  if (!keyFile) throw new UsageError('--key (or MRA_ADMIN_KEY) is required: the file with your administrator private JWK');
  if (!sub) throw new UsageError('--sub (or MRA_ADMIN_SUB) is required: who you are, for the audit log');
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url "${url}" is not a URL`);
  }
  return new AdminClient(url, readPrivateJwk(keyFile, io), sub);
}

function readPrivateJwk(file: string, io: CliIo): JWK {
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } catch (error) {
    throw new UsageError(`--key ${file}: cannot be read as JSON (${(error as Error).message})`);
  }
  if (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string') throw new UsageError(`--key ${file} holds no private JWK`);
  if (typeof jwk.kid !== 'string') throw new UsageError(`--key ${file} has no "kid"`);
  if ((statSync(file).mode & PRIVATE_FILE_MODE_BITS) !== 0) writeLine(io.stderr, `mra-admin: warning: ${file} can be read by other users; chmod 600 it.`);
  return jwk;
}

function overview(list: readonly CommandSpec[] = commands): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    'mra-admin: administer an mra-gateway (partner keys, arrangement status, receipt keys, audit log).',
    '',
    'Usage: mra-admin <command> [arguments] [options]      mra-admin <command> --help for details',
    '',
    'Commands:',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command except keygen calls the gateway with a token signed by your administrator key:',
    ...optionLines(REMOTE_OPTIONS),
    '',
    'Output is the gateway\'s JSON answer. Exit code 0 done, 1 refused by the gateway or unreachable, 2 usage error.',
    '',
  ].join('\n');
}

function commandHelp(command: CommandSpec): string {
  const usage = [`mra-admin ${command.name}`, ...command.positionals, ...Object.keys(command.options).map((o) => `[--${o}${command.options[o]!.type === 'string' ? ' VALUE' : ''}]`)];
  return [
    `Usage: ${usage.join(' ')}`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    command.help,
    '',
    ...(Object.keys(command.options).length > 0 ? ['Options:', ...optionLines(command.options), ''] : []),
    ...(command.remote ? ['Connection:', ...optionLines(REMOTE_OPTIONS), ''] : []),
  ].join('\n');
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const width = Math.max(...Object.keys(options).map((o) => o.length)) + 2;
  return Object.entries(options).map(([name, spec]) => `  --${name.padEnd(width)}  ${spec.description}`);
}
