import { parseArgs } from 'node:util';
import { redactedAmqpUrl } from '../../config/app-config.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { ConsumerToolError, tailRecords, type TailSource } from './tail-records.js';

const DEFAULT_URL = 'amqp://guest:guest@127.0.0.1:5672';

export const CONSUMER_TOOL_HELP = `mra-consumer: print the member records the MRA gateway publishes

  mra-consumer [--amqp-url URL] [--bind PATTERN] [--exchange NAME] [--format json|table] [--count N]
      Tails a temporary queue bound to PATTERN (default member.#) on the exchange (default
      cbp.mra.members): records published from now on, taking nothing from anyone.
      e.g. --bind 'member.*.eu', --bind 'member.status-changed.#'

  mra-consumer --queue NAME [--amqp-url URL] [--format json|table] [--count N]
      Consumes a durable queue (e.g. cbp.risk.members): every record printed is acknowledged and so
      taken from that queue. Records delivered but not printed (after --count, on Ctrl-C) go back.

  --format json  one JSON object per line: routingKey, messageId (de-duplicate on it), type,
                 timestamp, redelivered, headers (ce-*), record (default)
  --format table a readable table
  --amqp-url     default: the AMQP_URL environment variable, else ${DEFAULT_URL}

Exit codes: 0 done (Ctrl-C or --count reached), 2 usage, 5 broker unreachable, 6 queue or exchange
not found, 7 output closed.`;

const EXIT = { 'broker-unreachable': 5, 'not-found': 6, 'output-closed': 7 } as const;

/** Runs the consumer tool until `signal` aborts or --count records were printed; returns the exit code. */
export async function runConsumerTool(argv: readonly string[], io: CliIo, env: Record<string, string | undefined>, signal?: AbortSignal): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        'amqp-url': { type: 'string' },
        queue: { type: 'string' },
        bind: { type: 'string' },
        exchange: { type: 'string' },
        format: { type: 'string', default: 'json' },
        count: { type: 'string' },
        prefetch: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    writeLine(io.stderr, `mra-consumer: ${(error as Error).message}`);
    return 2;
  }
  if (values.help) {
    writeLine(io.stdout, CONSUMER_TOOL_HELP);
    return 0;
  }
  const usage = (message: string): number => {
    writeLine(io.stderr, `mra-consumer: ${message}; try mra-consumer --help`);
    return 2;
  };
  if (values.format !== 'json' && values.format !== 'table') return usage('--format is json or table');
  if (values.queue !== undefined && (values.bind !== undefined || values.exchange !== undefined)) return usage('--queue consumes a queue; --bind and --exchange make a temporary one: choose one');
  const count = positive(values.count);
  const prefetch = positive(values.prefetch);
  if (count === null || prefetch === null) return usage('--count and --prefetch are whole numbers above 0');
  const amqpUrl = values['amqp-url'] ?? env.AMQP_URL ?? DEFAULT_URL;
  let shownUrl: string;
  try {
    shownUrl = redactedAmqpUrl(amqpUrl);
  } catch {
    return usage('--amqp-url is not a URL');
  }
  const source: TailSource = values.queue !== undefined ? { queue: values.queue } : { exchange: values.exchange ?? 'cbp.mra.members', pattern: values.bind ?? 'member.#' };

  try {
    const { printed } = await tailRecords({
      amqpUrl,
      source,
      format: values.format,
      output: io.stdout,
      ...(count !== undefined ? { limit: count } : {}),
      ...(prefetch !== undefined ? { prefetch } : {}),
      ...(signal ? { signal } : {}),
      onReady: () => writeLine(io.stderr, `tailing ${'queue' in source ? `queue ${source.queue}` : `${source.pattern} on ${source.exchange}`} at ${shownUrl}; Ctrl-C stops`),
    });
    writeLine(io.stderr, `${printed} record(s) printed and acknowledged`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConsumerToolError)) throw error;
    writeLine(io.stderr, `mra-consumer: ${error.message.replaceAll(amqpUrl, shownUrl)}`);
    return EXIT[error.code];
  }
}

/** undefined when absent, null when not a positive whole number. */
function positive(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  return /^[1-9]\d*$/.test(value) ? Number(value) : null;
}
