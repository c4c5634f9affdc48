import { Option, type Command } from 'commander';
import { EXIT_CODES, CliError } from '../cli-error.js';
import { action, GATEWAY_URL_FLAGS, GATEWAY_URL_HELP, resolveGatewayUrl, type CliContext, type CliEnv } from '../cli-context.js';
import { helpParagraphs, writeLine, type CliIo } from '../cli-io.js';
import { runMra } from '../mra-program.js';
import { gatewayUrl } from '../partner/gateway-client.js';
import { AdminClient } from './admin-client.js';
import { commands, keyFile, type CommandContext, type CommandSpec } from './admin-commands.js';
import { readAdminKey } from './admin-keygen.js';

/** The environment variables the admin commands read (MRA_GATEWAY_URL, MRA_ADMIN_KEY, MRA_ADMIN_SUB, CONFIG_DIR). */
export type AdminToolEnv = CliEnv;

const CONNECTION_HELP = `Commands that call the gateway sign a new token for every call (valid 60 s, single use) with your
administrator key, and print the gateway's JSON answer on standard output; a refusal prints the
problem document there too, and exits 6.`;

/**
 * `mra admin ...`: one commander command per entry of `commands`, grouped by their first word
 * (`keys add` is `mra admin keys add`). Remote commands take the connection options.
 */
export function addAdminCommands(program: Command, context: CliContext): void {
  const admin = program
    .command('admin')
    .description('administer a gateway: partner keys, arrangement status, receipt keys, audit log, submission log, admin keys, store copy')
    .addHelpText('after', `\n${helpParagraphs(CONNECTION_HELP)}`);
  const groups = new Map<string, Command>();
  const groupSummaries: Record<string, string> = {
    keys: "partner signing keys: list, add, retire, revoke",
    arrangements: 'arrangement (MRA) status: list, show, suspend, reinstate, terminate',
    'receipt-keys': "the gateway's receipt keys: list, rotate, retire",
    config: "the gateway's configuration files: add an administrator key to admin-keys.json",
    store: "the gateway's store: copy an embedded store into PostgreSQL",
  };
  for (const spec of commands) {
    const words = spec.name.split(' ');
    let parent = admin;
    if (words.length === 2) {
      const group = words[0]!;
      parent = groups.get(group) ?? admin.command(group).description(groupSummaries[group] ?? group);
      groups.set(group, parent);
    }
    const command = parent.command(words.at(-1)!);
    define(command, spec, context);
    // A command of one word may have commands of its own (`submissions` lists, `submissions show ID` shows one).
    if (words.length === 1) groups.set(words[0]!, command);
  }
}

function define(command: Command, spec: CommandSpec, context: CliContext): void {
  command.description(spec.summary);
  for (const argument of spec.arguments) command.argument(`<${argument.name}>`, argument.description);
  for (const option of spec.options) {
    const built = new Option(option.flags, option.description);
    if (option.choices) built.choices(option.choices);
    if (option.default !== undefined) built.default(option.default);
    if (option.required) built.makeOptionMandatory();
    command.addOption(built);
  }
  if (spec.remote) {
    command.optionsGroup('Connection options:');
    command.option(GATEWAY_URL_FLAGS, `${GATEWAY_URL_HELP}; MRA_ADMIN_URL is read too`);
    command.option('--key <file>', 'your administrator private JWK (env MRA_ADMIN_KEY)');
    command.option('--sub <name>', 'who you are, recorded in the audit log (env MRA_ADMIN_SUB)');
  }
  command.addHelpText('after', `\n${helpParagraphs(spec.help)}`);
  command.action(
    action(context, async (...args: unknown[]) => {
      const invoked = args.at(-1) as Command;
      const values = spec.arguments.map((_a, i) => args[i] as string);
      // With the options of a parent that is a command itself: commander gives `submissions show ID --key K` to `submissions`.
      const options = { ...(invoked.parent?.opts() ?? {}), ...invoked.opts() };
      return runCommand(spec, Object.fromEntries(spec.arguments.map((a, i) => [a.name, values[i]!])), options, context);
    }),
  );
}

async function runCommand(spec: CommandSpec, args: Record<string, string>, options: CommandContext['options'], context: CliContext): Promise<number> {
  const { io, env } = context;
  const note = (text: string) => writeLine(io.stderr, text);
  const client = spec.remote ? await clientFor(options, env, note) : undefined;
  const result = await spec.run({
    args,
    options,
    env,
    client: () => {
      if (!client) throw new Error(`${spec.name} does not call the gateway`);
      return client;
    },
    note,
  });
  if (typeof result === 'string') writeLine(io.stdout, result);
  else if (result !== undefined) writeLine(io.stdout, JSON.stringify(result, null, 2));
  return EXIT_CODES.ok;
}

async function clientFor(options: CommandContext['options'], env: CliEnv, note: (text: string) => void): Promise<AdminClient> {
  const url = resolveGatewayUrl(typeof options.gatewayUrl === 'string' ? options.gatewayUrl : undefined, env, ['MRA_ADMIN_URL']);
  gatewayUrl(url, 'admin/v1/'); // a malformed URL is a usage error before the key is read
  const file = keyFile(options, env);
  const sub = typeof options.sub === 'string' && options.sub !== '' ? options.sub : env.MRA_ADMIN_SUB;
  if (sub === undefined || sub === '') throw new CliError('usage', '--sub (or MRA_ADMIN_SUB) is required: who you are, for the audit log');
  return new AdminClient(url, await readAdminKey(file, note), sub);
}

/** Runs one admin command line (the words after `mra admin`); for tests and scripts. */
export function runAdminTool(argv: readonly string[], io: CliIo, env: AdminToolEnv = {}): Promise<number> {
  return runMra(['admin', ...argv], io, env);
}
