import { Command, CommanderError } from 'commander';
import { gatewayVersion } from '../config/gateway-version.js';
import { addAdminCommands } from './admin/admin-tool.js';
import { CliError, EXIT_CODES, exitCodeHelp } from './cli-error.js';
import { commandPath, type CliContext, type CliEnv } from './cli-context.js';
import { writeLine, type CliIo } from './cli-io.js';
import { addConsumerCommands } from './consumer/consumer-commands.js';
import { addPartnerCommands } from './partner/partner-commands.js';

/** The whole command tree, writing to the context's streams. A new one for every run (commander keeps parsed state). */
export function buildProgram(context: CliContext): Command {
  const program = new Command('mra')
    .description('The mra-gateway command line: partners sign and send AEO member lists, administrators manage partner keys, arrangements, receipt keys and the audit log, CBP consumers read the records.')
    .version(gatewayVersion, '-V, --version', 'print the version of mra (the version of the mra-gateway package)')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command...]', 'show help for a command, e.g. mra help partner send')
    .addHelpText('after', '\nEvery command has --help, e.g. mra partner send --help. mra-partner, mra-admin and\nmra-consumer are short for mra partner, mra admin and mra consumer.')
    .addHelpText('afterAll', `\n${exitCodeHelp()}`);
  program.hook('preAction', (_root, actionCommand) => {
    context.command = actionCommand;
  });
  addPartnerCommands(program, context);
  addAdminCommands(program, context);
  addConsumerCommands(program, context);
  configure(program, context);
  return program;
}

/** Settings every command of the tree needs: output to the context, errors thrown (not process.exit), the hint after a usage error. */
function configure(command: Command, context: CliContext): void {
  const path = commandPath(command);
  command
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error: /, `${path}: `)),
    })
    .showHelpAfterError(`try '${path} --help'`);
  for (const sub of command.commands) configure(sub, context);
}

/**
 * Runs one `mra` command line (the words after `mra`) and returns its exit code; see EXIT_CODES. Help
 * and --version exit 0; a usage error prints a short message and the --help to try, and exits 2.
 */
export async function runMra(argv: readonly string[], io: CliIo, env: CliEnv = {}, signal?: AbortSignal): Promise<number> {
  const context: CliContext = { io, env, exitCode: EXIT_CODES.ok, ...(signal ? { signal } : {}) };
  const program = buildProgram(context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    const path = commandPath(context.command ?? program);
    if (error instanceof CliError) {
      if (error.output !== undefined) writeLine(io.stdout, JSON.stringify(error.output, null, 2));
      writeLine(io.stderr, `${path}: ${error.message}`);
      for (const line of error.details) writeLine(io.stderr, `  ${line}`);
      if (error.code === 'usage') writeLine(io.stderr, `try '${path} --help'`);
      return error.exitCode;
    }
    writeLine(io.stderr, `${path}: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT_CODES.unexpected;
  }
}
