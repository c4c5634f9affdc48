import { Option, type Command } from 'commander';
import { redactedAmqpUrl } from '../../config/app-config.js';
import { CliError, EXIT_CODES } from '../cli-error.js';
import { action, GATEWAY_URL_FLAGS, GATEWAY_URL_HELP, resolveGatewayUrl, type CliContext } from '../cli-context.js';
import { helpParagraphs, writeLine } from '../cli-io.js';
import { gatewayUrl } from '../partner/gateway-client.js';
import { memberJsonLine, memberTableHeader, memberTableRow } from './member-lines.js';
import { ReaderTokens, readerCredentials } from './reader-tokens.js';
import { MAX_PAGE_SIZE, RegisterClient, type MemberQuery } from './register-client.js';
import { emptySummary, syncMembers, type SyncSummary } from './sync-members.js';
import type { TailSource } from './tail-records.js';

const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const DEFAULT_EXCHANGE = 'cbp.mra.members';
const DEFAULT_WRITE_INTERVAL_SECONDS = 5;
const DEFAULT_PREFETCH = 1000;
const DEFAULT_LOOKUP_LIMIT = 100;
const MAX_LOOKUP_LIMIT = 10_000;

/** The identifier schemes of member-list.v1.json. */
const ID_SCHEMES = ['EORI', 'BN', 'RFC', 'UEN', 'CNPJ', 'PAN', 'JCN', 'OTHER'];

interface ReaderOptions {
  gatewayUrl?: string;
  key?: string;
  sub?: string;
}

interface SyncCommandOptions extends ReaderOptions {
  out: string;
  administration?: string;
  amqpUrl?: string;
  exchange?: string;
  queue?: string;
  follow?: boolean;
  idle?: string;
  writeInterval?: string;
  prefetch?: string;
  pageSize?: string;
}

interface LookupCommandOptions extends ReaderOptions {
  mid?: string;
  identifier?: string;
  name?: string;
  administration?: string;
  includeRemoved?: boolean;
  format: 'json' | 'table';
  limit?: string;
}

const READER_HELP = `Reading the register takes a token of an administrator key with the role members:read (mra admin
keygen --roles members:read, listed in the gateway's admin-keys.json): --key names its private JWK
(env MRA_ADMIN_KEY), --sub who reads (env MRA_ADMIN_SUB; default mra-consumer). One token, valid 120 s
and without a jti (it may be used again until it expires, and never on the admin API), serves every
request until 30 s before its end; then another is signed. A refusal (401, 403) prints the gateway's
problem document on standard output and exits 6.`;

const SYNC_HELP = `Keeps --out, a JSON-lines file with one line per member key, equal to the gateway's register: first
the queue is opened and consumed (records published from then on are kept), then every page of GET
/v1/members?includeRemoved=true is read, then the records kept and those that follow are applied. Per
member key the highest version wins: a record at or below the version held is ignored (a change the
export already showed, a duplicate, a redelivery); one that skips versions is applied and reported on
standard error as a gap (a record is missing).

Each line is the member's latest version as GET /v1/members/{key} gives it: key, version, change,
acceptedAt, member, previous (updated and status-changed), source; not the arrangement's status. A
removed member stays, with change "removed". Lines are in key order.

The file is replaced as a whole (a temporary file beside it, then renamed): after the export, then at
most every --write-interval seconds while records change it, and when the sync stops. A stop during
the export leaves an existing file as it was.

Without --queue: a temporary queue bound to member.# (with --administration XX: member.*.xx) on
--exchange. With --queue NAME: that durable queue (one of your own: the records applied are taken from
it); records that are not member records are rejected to its dead-letter queue. Every sync starts with
a whole export, so one that stops or crashes loses nothing: run it again.

--follow (the default) keeps applying records until Ctrl-C or SIGTERM; --idle N stops once no record
has arrived for N seconds after the export. Either way the last state is written first, and a summary
(exported, applied, ignored, gaps) goes to standard error.`;

const LOOKUP_HELP = `Prints the members that match every condition given, in key order: GET /v1/members?mid=...
(partner-supplied and derived MIDs), ?identifier=SCHEME:VALUE (the member's own identifier, e.g.
EORI:DE123456789012), ?name=PREFIX (a prefix of the legal or a trade name, accents and case
ignored), ?administration=XX. --include-removed shows removed members too (change removed).

--format json: one line per member, the register's answer for it (GET /v1/members/{key}). --format
table: a readable table; a derived MID is marked *, a candidate computed from name and address, never
proof. No member matching is exit code 0 with nothing on standard output and a note on standard error.`;

/** `mra consumer sync` and `mra consumer lookup`: what a CBP system reads from the register. */
export function addRegisterCommands(consumer: Command, context: CliContext): void {
  const sync = consumer
    .command('sync')
    .description("keep a local JSON-lines copy of the register: export it, then apply the records (highest version per member wins)")
    .requiredOption('--out <file>', 'the JSON-lines file to keep (required; replaced as a whole on every write)')
    .option('--administration <code>', "only this administration's members, e.g. EU")
    .option('--amqp-url <url>', `the broker (env AMQP_URL; default ${DEFAULT_AMQP_URL})`)
    .option('--exchange <name>', `exchange for the temporary queue (default ${DEFAULT_EXCHANGE})`)
    .option('--queue <name>', 'consume this durable queue instead (takes the records it applies from it)')
    .option('--follow', 'keep applying records until Ctrl-C or SIGTERM (the default)')
    .option('--idle <seconds>', 'stop once no record has arrived for this long after the export')
    .option('--write-interval <seconds>', `write the file at most this often while records change it (default ${DEFAULT_WRITE_INTERVAL_SECONDS})`)
    .option('--prefetch <n>', `records delivered ahead of being applied (default ${DEFAULT_PREFETCH}); during the export the rest wait at the broker`)
    .option('--page-size <n>', `members per page of the export (1 to ${MAX_PAGE_SIZE}, default ${MAX_PAGE_SIZE})`);
  addReaderOptions(sync).addHelpText('after', `\n${helpParagraphs(SYNC_HELP)}\n\n${helpParagraphs(READER_HELP)}`).action(action(context, (options: SyncCommandOptions) => syncCommand(options, context)));

  const lookup = consumer
    .command('lookup')
    .description('find members in the register by MID, identifier or name prefix')
    .option('--mid <mid>', 'a MID, e.g. FRLAVIE243BRE (partner-supplied or derived)')
    .option('--identifier <scheme:value>', "the member's identifier, e.g. EORI:DE123456789012")
    .option('--name <prefix>', 'a prefix of the legal or a trade name')
    .option('--administration <code>', "only this administration's members, e.g. EU")
    .option('--include-removed', 'removed members too')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('json'))
    .option('--limit <n>', `print at most this many members (1 to ${MAX_LOOKUP_LIMIT}, default ${DEFAULT_LOOKUP_LIMIT})`);
  addReaderOptions(lookup).addHelpText('after', `\n${helpParagraphs(LOOKUP_HELP)}\n\n${helpParagraphs(READER_HELP)}`).action(action(context, (options: LookupCommandOptions) => lookupCommand(options, context)));
}

function addReaderOptions(command: Command): Command {
  return command
    .optionsGroup('Connection options:')
    .option(GATEWAY_URL_FLAGS, GATEWAY_URL_HELP)
    .option('--key <file>', 'an administrator private JWK whose key has the role members:read (env MRA_ADMIN_KEY)')
    .option('--sub <name>', 'who reads, the token\'s sub (env MRA_ADMIN_SUB; default mra-consumer)');
}

async function registerClient(options: ReaderOptions, context: CliContext): Promise<RegisterClient> {
  const url = resolveGatewayUrl(options.gatewayUrl, context.env);
  gatewayUrl(url, 'v1/members'); // a malformed URL is a usage error before the key is read
  const { privateJwk, sub } = await readerCredentials(options, context.env, (text) => writeLine(context.io.stderr, text));
  return new RegisterClient(url, new ReaderTokens(privateJwk, sub));
}

async function syncCommand(options: SyncCommandOptions, context: CliContext): Promise<number> {
  const { io, env, signal } = context;
  if (options.queue !== undefined && options.exchange !== undefined) throw new CliError('usage', '--queue consumes a queue; --exchange makes a temporary one: choose one');
  if (options.follow === true && options.idle !== undefined) throw new CliError('usage', '--follow goes on until Ctrl-C; --idle stops when the queue is quiet: choose one');
  const administration = administrationCode(options.administration);
  const idle = seconds(options.idle, '--idle');
  const writeInterval = seconds(options.writeInterval, '--write-interval') ?? DEFAULT_WRITE_INTERVAL_SECONDS;
  const prefetch = whole(options.prefetch, '--prefetch', 1, 65_535) ?? DEFAULT_PREFETCH;
  const pageSize = whole(options.pageSize, '--page-size', 1, MAX_PAGE_SIZE) ?? MAX_PAGE_SIZE;
  const amqpUrl = (options.amqpUrl ?? env.AMQP_URL ?? DEFAULT_AMQP_URL).split(',')[0]!.trim();
  let shownUrl: string;
  try {
    shownUrl = redactedAmqpUrl(amqpUrl);
  } catch {
    throw new CliError('usage', '--amqp-url is not a URL (amqp://user:password@host:5672)');
  }
  const register = await registerClient(options, context);
  const source: TailSource =
    options.queue !== undefined ? { queue: options.queue } : { exchange: options.exchange ?? DEFAULT_EXCHANGE, pattern: administration ? `member.*.${administration.toLowerCase()}` : 'member.#' };
  const log = (line: string): void => writeLine(io.stderr, `sync: ${line}`);
  const summary = emptySummary();
  try {
    await syncMembers(
      {
        amqpUrl,
        source,
        register,
        out: options.out,
        pageSize,
        prefetch,
        writeIntervalMs: writeInterval * 1000,
        log,
        ...(administration ? { administration } : {}),
        ...(idle !== undefined ? { idleMs: idle * 1000 } : {}),
        ...(signal ? { signal } : {}),
      },
      summary,
    );
    return EXIT_CODES.ok;
  } catch (error) {
    // The broker's URL carries a password: never in a message.
    if (error instanceof CliError) throw new CliError(error.code, error.message.replaceAll(amqpUrl, shownUrl), error.details, error.output);
    throw error;
  } finally {
    if (summary.complete || summary.pages > 0) log(summaryLine(summary, options.out));
  }
}

export function summaryLine(summary: SyncSummary, out: string): string {
  const records = `records: ${summary.applied} applied, ${summary.ignored} ignored (at or below the version held), ${summary.gaps} gap(s)${summary.gaps > 0 ? ` (${summary.missingVersions} version(s) missing)` : ''}${summary.malformed > 0 ? `, ${summary.malformed} rejected (not member records)` : ''}`;
  const file = summary.writes > 0 ? `${summary.members} member(s) in ${out} (${summary.removed} removed), written ${summary.writes} time(s)` : `${out} not written`;
  return `exported ${summary.exported} member(s) in ${summary.pages} page(s); ${records}; ${file}`;
}

async function lookupCommand(options: LookupCommandOptions, context: CliContext): Promise<number> {
  const { io } = context;
  const query: MemberQuery = {};
  if (options.mid !== undefined) query.mid = mid(options.mid);
  if (options.identifier !== undefined) query.identifier = identifier(options.identifier);
  if (options.name !== undefined) {
    const name = options.name.trim();
    if (!/[\p{L}\p{N}]/u.test(name) || name.length > 200) throw new CliError('usage', '--name is the beginning of a name: at least one letter or digit, at most 200 characters');
    query.name = name;
  }
  if (query.mid === undefined && query.identifier === undefined && query.name === undefined) {
    throw new CliError('usage', 'say what to look up: --mid, --identifier or --name (they may be combined)');
  }
  const administration = administrationCode(options.administration);
  if (administration) query.administration = administration;
  if (options.includeRemoved === true) query.includeRemoved = 'true';
  const limit = whole(options.limit, '--limit', 1, MAX_LOOKUP_LIMIT) ?? DEFAULT_LOOKUP_LIMIT;
  query.limit = String(Math.min(limit, MAX_PAGE_SIZE));

  const client = await registerClient(options, context);
  let printed = 0;
  let more = false;
  for await (const page of client.pages(query)) {
    for (const item of page.members) {
      if (printed === limit) {
        more = true;
        break;
      }
      if (printed === 0 && options.format === 'table') io.stdout.write(memberTableHeader());
      io.stdout.write(options.format === 'json' ? memberJsonLine(item) : memberTableRow(item));
      printed++;
    }
    if (printed === limit) {
      more ||= page.next !== null;
      break;
    }
  }
  const asked = Object.entries(query)
    .filter(([name]) => name !== 'limit')
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  if (printed === 0) writeLine(io.stderr, `no member matches (${asked})`);
  else writeLine(io.stderr, `${printed} member(s) match${more ? `; more may: raise --limit (at most ${MAX_LOOKUP_LIMIT})` : ''}`);
  return EXIT_CODES.ok;
}

/** `EU`, `eu` → EU; undefined when absent. */
function administrationCode(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const code = value.trim().toUpperCase();
  if (!/^[A-Z]{2,3}$/.test(code)) throw new CliError('usage', `--administration is a code of 2 or 3 letters, e.g. EU (not "${value}")`);
  return code;
}

/** A MID as CBP writes it: 3 to 15 letters and digits, upper case (what is typed is trimmed and upper-cased). */
function mid(value: string): string {
  const folded = value.trim().toUpperCase();
  if (!/^[A-Z0-9]{3,15}$/.test(folded)) throw new CliError('usage', `--mid "${value}" is not a MID: 3 to 15 letters and digits, e.g. FRLAVIE243BRE`);
  return folded;
}

/** `EORI:DE123456789012`: a scheme of member-list.v1.json and the member's identifier under it (at most 64 characters). */
function identifier(value: string): string {
  const match = /^\s*([A-Za-z]+)\s*:\s*(\S(?:.*\S)?)\s*$/s.exec(value);
  const scheme = match?.[1]?.toUpperCase();
  if (!match || scheme === undefined || !ID_SCHEMES.includes(scheme) || match[2]!.length > 64) {
    throw new CliError('usage', `--identifier is SCHEME:VALUE with a scheme of ${ID_SCHEMES.join(', ')}, e.g. EORI:DE123456789012 (not "${value}")`);
  }
  return `${scheme}:${match[2]!}`;
}

/** Seconds above 0 (decimals allowed); undefined when absent. */
function seconds(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,6}(\.\d{1,3})?$/.test(value) || Number(value) <= 0) throw new CliError('usage', `${option} is a number of seconds above 0, e.g. 30 or 0.5`);
  return Number(value);
}

/** A whole number from min to max; undefined when absent. */
function whole(value: string | undefined, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,6}$/.test(value) || Number(value) < min || Number(value) > max) throw new CliError('usage', `${option} is a whole number from ${min} to ${max}`);
  return Number(value);
}
