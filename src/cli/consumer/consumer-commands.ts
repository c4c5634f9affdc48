import { Option, type Command } from 'commander';
import { redactedAmqpUrl } from '../../config/app-config.js';
import { CliError, EXIT_CODES } from '../cli-error.js';
import { action, type CliContext, type CliEnv } from '../cli-context.js';
import { helpParagraphs, writeLine, type CliIo } from '../cli-io.js';
import { runMra } from '../mra-program.js';
import { addRegisterCommands } from './register-commands.js';
import { tailRecords, type TailSource } from './tail-records.js';

const DEFAULT_URL = 'amqp://guest:guest@127.0.0.1:5672';
const DEFAULT_EXCHANGE = 'cbp.mra.members';

interface TailOptions {
  amqpUrl?: string;
  queue?: string;
  bind?: string;
  exchange?: string;
  format: 'json' | 'table';
  count?: string;
  prefetch?: string;
}

const TAIL_HELP = `Without --queue: a temporary queue bound to --bind (default member.#) on --exchange (default
${DEFAULT_EXCHANGE}) sees the records published from now on, and takes nothing from anyone; e.g.
--bind 'member.*.eu', --bind 'member.status-changed.#'.

With --queue NAME (e.g. cbp.risk.members): consumes that durable queue; every record printed is
acknowledged and so taken from it. Records delivered but not printed (after --count, on Ctrl-C) go back.

--format json: one JSON object per line: routingKey, messageId (de-duplicate on it), type, timestamp,
redelivered, headers (ce-*), record. --format table: a readable table; an updated or status-changed
row shows the old value beside the new (certified → suspended).`;

/** `mra consumer ...`: what a CBP consumer uses to look at the feed. */
export function addConsumerCommands(program: Command, context: CliContext): void {
  const consumer = program.command('consumer').description('read the member records the gateway publishes to RabbitMQ, and its register (a CBP consumer)');
  consumer
    .command('tail', { isDefault: true })
    .description('print records as they arrive (the default: mra consumer --bind ... is mra consumer tail --bind ...)')
    .option('--amqp-url <url>', `the broker (env AMQP_URL; default ${DEFAULT_URL})`)
    .option('--bind <pattern>', 'routing-key pattern for a temporary queue (default member.#)')
    .option('--exchange <name>', `exchange for the temporary queue (default ${DEFAULT_EXCHANGE})`)
    .option('--queue <name>', 'consume this durable queue instead (acknowledges what is printed)')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('json'))
    .option('--count <n>', 'stop after printing this many records')
    .option('--prefetch <n>', 'records delivered ahead of printing (default 20)')
    .addHelpText('after', `\n${helpParagraphs(TAIL_HELP)}`)
    .action(action(context, (options: TailOptions) => tail(options, context)));
  addRegisterCommands(consumer, context);
}

/** Runs one consumer command line (the words after `mra consumer`); for tests and scripts. */
export function runConsumerTool(argv: readonly string[], io: CliIo, env: CliEnv = {}, signal?: AbortSignal): Promise<number> {
  return runMra(['consumer', ...argv], io, env, signal);
}

async function tail(options: TailOptions, context: CliContext): Promise<number> {
  const { io, env, signal } = context;
  if (options.queue !== undefined && (options.bind !== undefined || options.exchange !== undefined)) {
    throw new CliError('usage', '--queue consumes a queue; --bind and --exchange make a temporary one: choose one');
  }
  const count = positive(options.count);
  const prefetch = positive(options.prefetch);
  if (count === null || prefetch === null) throw new CliError('usage', '--count and --prefetch are whole numbers above 0');
  // AMQP_URL may list a cluster's nodes, as for the gateway: a consumer reads from the first.
  const amqpUrl = (options.amqpUrl ?? env.AMQP_URL ?? DEFAULT_URL).split(',')[0]!.trim();
  let shownUrl: string;
  try {
    shownUrl = redactedAmqpUrl(amqpUrl);
  } catch {
    throw new CliError('usage', '--amqp-url is not a URL (amqp://user:password@host:5672)');
  }
  const source: TailSource = options.queue !== undefined ? { queue: options.queue } : { exchange: options.exchange ?? DEFAULT_EXCHANGE, pattern: options.bind ?? 'member.#' };
  try {
    const { printed } = await tailRecords({
      amqpUrl,
      source,
      format: options.format,
      output: io.stdout,
      ...(count !== undefined ? { limit: count } : {}),
      ...(prefetch !== undefined ? { prefetch } : {}),
      ...(signal ? { signal } : {}),
      onReady: () => writeLine(io.stderr, `tailing ${'queue' in source ? `queue ${source.queue}` : `${source.pattern} on ${source.exchange}`} at ${shownUrl}; Ctrl-C stops`),
    });
    writeLine(io.stderr, `${printed} record(s) printed${'queue' in source ? ' and acknowledged' : ''}`);
    return EXIT_CODES.ok;
  } catch (error) {
    // The broker's URL carries a password: never in a message.
    if (error instanceof CliError) throw new CliError(error.code, error.message.replaceAll(amqpUrl, shownUrl), error.details);
    throw error;
  }
}

/** undefined when absent, null when not a positive whole number. */
function positive(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  return /^[1-9]\d*$/.test(value) ? Number(value) : null;
}
