import { ADMIN_ROLES, ADMIN_TOKEN_ALGORITHMS } from '../../admin/admin-key.js';
import { CliError } from '../cli-error.js';
import type { CliEnv } from '../cli-context.js';
import { writeOutputFile } from '../cli-files.js';
import type { AdminClient } from './admin-client.js';
import { addAdminKey, defaultAdminKeysFile, readPublicJwkFile } from './admin-key-config.js';
import { adminPublicKey, generateAdminKey, parseRoles, readAdminKey, type AdminPublicKey } from './admin-keygen.js';
import { storeCopyCommand } from './admin-store-copy.js';
import { DEFAULT_READER_SUB, MAX_READER_TOKEN_LIFETIME_SECONDS, READER_TOKEN_LIFETIME_SECONDS, signReaderToken } from './admin-token.js';

export interface OptionSpec {
  /** Commander's flags, e.g. `--jwk <file>` or `--all`. */
  flags: string;
  description: string;
  required?: boolean;
  choices?: readonly string[];
  default?: string;
}

export interface ArgumentSpec {
  name: string;
  description: string;
}

/** What a command gets when it runs: its arguments, options, and (for remote commands) a client. */
export interface CommandContext {
  args: Record<string, string>;
  /** Options by commander's attribute name (`--not-after` is `notAfter`). */
  options: Record<string, string | boolean | undefined>;
  env: CliEnv;
  /** The gateway client (remote commands only). */
  client: () => AdminClient;
  /** For notes that are not the command's result (written to stderr). */
  note: (text: string) => void;
}

export interface CommandSpec {
  /** Words after `mra admin`, e.g. `keys add`. */
  name: string;
  summary: string;
  /** Paragraphs of --help after the options. */
  help: string;
  arguments: readonly ArgumentSpec[];
  options: readonly OptionSpec[];
  /** Whether it calls the gateway (and so takes --gateway-url, --key, --sub). */
  remote: boolean;
  /** The result, printed as JSON on stdout (a string as it is); undefined prints nothing. */
  run(context: CommandContext): Promise<unknown>;
}

const CODE: ArgumentSpec = { name: 'code', description: 'the administration, e.g. EU' };
const KID: ArgumentSpec = { name: 'kid', description: 'the key id' };
const reason: OptionSpec = { flags: '--reason <text>', description: 'why (required; recorded in the audit log)', required: true };
const roles: OptionSpec = { flags: '--roles <roles>', description: `comma-separated roles the key may use (${ADMIN_ROLES.join(',')}; default: all)` };
const ownKey: OptionSpec = { flags: '--key <file>', description: 'your administrator private JWK (env MRA_ADMIN_KEY)' };

function statusChange(name: string, status: string, summary: string, help: string): CommandSpec {
  return {
    name: `arrangements ${name}`,
    summary,
    help,
    arguments: [CODE],
    options: [reason],
    remote: true,
    run: ({ args, options, client }) => client().request('PATCH', `/administrations/${enc(args.code)}`, { status, reason: text(options.reason) }),
  };
}

/** Every command of mra admin, in the order --help lists them. */
export const commands: readonly CommandSpec[] = [
  {
    name: 'keygen',
    summary: 'create an administrator key pair',
    help: `Writes a new private JWK to --key (file mode 0600; its folder is created; an existing file is never
replaced) and prints the public JWK (or writes it to --public-key). Add it to the gateway's
CONFIG_DIR/admin-keys.json with mra admin config add-key, and restart the gateway; then pass --key with
the private file (or set MRA_ADMIN_KEY) to every command that calls the gateway.`,
    arguments: [],
    options: [
      { flags: '--key <file>', description: 'where to write the private JWK (required)', required: true },
      { flags: '--public-key <file>', description: 'write the public JWK there instead of printing it' },
      { flags: '--kid <kid>', description: "key id (default: the key's RFC 7638 thumbprint)" },
      { flags: '--alg <alg>', description: 'signing algorithm', choices: ADMIN_TOKEN_ALGORITHMS, default: 'ES256' },
      roles,
    ],
    remote: false,
    run: async ({ options, note }) => {
      const publicJwk = await generateAdminKey({ keyFile: text(options.key), alg: text(options.alg), ...optional('kid', options.kid), ...optionalRoles(options.roles) });
      note(`private key ${publicJwk.kid} written to ${text(options.key)} (mode 0600): keep it secret`);
      note(`add its public half to the gateway's admin-keys.json with: mra admin config add-key --key ${text(options.key)}`);
      return publicOutput(publicJwk, options.publicKey, note);
    },
  },
  {
    name: 'public-key',
    summary: 'print the public JWK of your administrator key again',
    help: `Reads your private JWK and prints its public half as CONFIG_DIR/admin-keys.json lists it (kid, alg, and
"roles" when --roles limits it), e.g. to hand it to whoever runs the gateway.`,
    arguments: [],
    options: [ownKey, { flags: '--public-key <file>', description: 'write it there instead of printing it' }, roles],
    remote: false,
    run: async ({ options, env, note }) => {
      const privateJwk = await readAdminKey(keyFile(options, env), note);
      return publicOutput(adminPublicKey(privateJwk, parseRoles(optionalText(options.roles))), options.publicKey, note);
    },
  },
  {
    name: 'config add-key',
    summary: "add an administrator's public key to the gateway's admin-keys.json",
    help: `Adds the public half of --key (your own private JWK), or the public JWK in --jwk (someone else's), to
--file, creating the file when there is none. The whole resulting file is checked the way the gateway
checks it at start-up (a JWK Set, each key acceptable and its kid unique, roles known): a file that
would stop the gateway is never written. The same key already there changes nothing. The gateway reads
the file at start-up: restart it. Prints the entry added (with --dry-run: the whole file, unwritten).`,
    arguments: [],
    options: [
      { flags: '--file <path>', description: "the gateway's admin-keys.json (default: $CONFIG_DIR/admin-keys.json, else config/admin-keys.json)" },
      { ...ownKey, description: 'add the public half of this private JWK: your own key (env MRA_ADMIN_KEY)' },
      { flags: '--jwk <file>', description: "add this public JWK: another administrator's key" },
      { ...roles, description: `${roles.description}; overrides "roles" in --jwk` },
      { flags: '--dry-run', description: 'check, and print the file as it would be, without writing it' },
    ],
    remote: false,
    run: async ({ options, env, note }) => {
      const file = optionalText(options.file) ?? defaultAdminKeysFile(env);
      const entry = await entryToAdd(options, env, note);
      const result = await addAdminKey(file, entry, { dryRun: options.dryRun === true });
      const rolesText = entry.roles ? entry.roles.join(',') : 'all';
      if (options.dryRun === true) {
        note(`checked: ${file} would list ${result.keyCount} key(s) with ${entry.kid} (roles ${rolesText}); nothing written (--dry-run)`);
        return result.document;
      }
      note(
        result.changed
          ? `added administrator key ${entry.kid} (roles ${rolesText}) to ${file}, which now lists ${result.keyCount} key(s); restart the gateway to use it`
          : `${file} already lists administrator key ${entry.kid} (roles ${rolesText}); nothing changed`,
      );
      return entry;
    },
  },
  {
    name: 'arrangements list',
    summary: 'list the arrangements and their status',
    help: "GET /admin/v1/administrations. Shows each MRA's status in force, the status in mras.json, and whether submissions are accepted now.",
    arguments: [],
    options: [],
    remote: true,
    run: ({ client }) => client().request('GET', '/administrations'),
  },
  {
    name: 'arrangements show',
    summary: 'show one arrangement',
    help: 'GET /admin/v1/administrations/CODE.',
    arguments: [CODE],
    options: [],
    remote: true,
    run: ({ args, client }) => client().request('GET', `/administrations/${enc(args.code)}`),
  },
  statusChange('suspend', 'suspended', 'suspend an MRA (its submissions are refused at once)', 'PATCH /admin/v1/administrations/CODE {"status":"suspended"}. Submissions get 403 mra-not-active until reinstated.'),
  statusChange('reinstate', 'active', 'reinstate a suspended MRA', 'PATCH /admin/v1/administrations/CODE {"status":"active"}. A terminated MRA cannot be reinstated (409).'),
  statusChange('terminate', 'terminated', 'terminate an MRA for good', 'PATCH /admin/v1/administrations/CODE {"status":"terminated"}. Final: it cannot be reinstated.'),
  {
    name: 'keys list',
    summary: "list an administration's partner keys and their state",
    help: 'GET /admin/v1/administrations/CODE/keys. States: pending, active, retiring, expired, revoked, unsafe.',
    arguments: [CODE],
    options: [],
    remote: true,
    run: ({ args, client }) => client().request('GET', `/administrations/${enc(args.code)}/keys`),
  },
  {
    name: 'keys add',
    summary: "register a partner's public signing key",
    help: `POST /admin/v1/administrations/CODE/keys. --jwk is a file holding the partner's public JWK (or a
JWK Set with one key). Times are RFC 3339 (2030-01-31T00:00:00Z) or relative to now (+30d, +12h, +15m).
A file with a private key is refused here (exit code 3), before anything is sent.`,
    arguments: [CODE],
    options: [
      { flags: '--jwk <file>', description: "file with the partner's public JWK (required)", required: true },
      { flags: '--not-before <time>', description: 'the key is accepted from this time (default: now)' },
      { flags: '--not-after <time>', description: 'the key is accepted until this time (default: until retired)' },
    ],
    remote: true,
    run: ({ args, options, client }) => {
      const notBefore = optionalTime(options.notBefore, '--not-before');
      const notAfter = optionalTime(options.notAfter, '--not-after');
      return client().request('POST', `/administrations/${enc(args.code)}/keys`, {
        jwk: readPublicJwkFile(text(options.jwk), '--jwk'),
        ...(notBefore !== undefined ? { notBefore } : {}),
        ...(notAfter !== undefined ? { notAfter } : {}),
      });
    },
  },
  {
    name: 'keys retire',
    summary: 'retire a partner key at a future time (overlap window)',
    help: `POST /admin/v1/administrations/CODE/keys/KID/retire. The key keeps working until --not-after, so the
partner can move to its next key (add it first) without a gap. Time as RFC 3339 or +7d, +12h, +15m.
Retiring only brings a key's end earlier (409 for a later one), and a key not yet valid cannot be retired.`,
    arguments: [CODE, KID],
    options: [{ flags: '--not-after <time>', description: 'when the key stops being accepted (required, in the future)', required: true }],
    remote: true,
    run: ({ args, options, client }) =>
      client().request('POST', `/administrations/${enc(args.code)}/keys/${enc(args.kid)}/retire`, { notAfter: time(text(options.notAfter), '--not-after') }),
  },
  {
    name: 'keys revoke',
    summary: 'revoke a partner key at once',
    help: 'POST /admin/v1/administrations/CODE/keys/KID/revoke. The next submission signed with the key is refused (401 inactive-key).',
    arguments: [CODE, KID],
    options: [reason],
    remote: true,
    run: ({ args, options, client }) => client().request('POST', `/administrations/${enc(args.code)}/keys/${enc(args.kid)}/revoke`, { reason: text(options.reason) }),
  },
  {
    name: 'receipt-keys list',
    summary: "list the gateway's receipt keys",
    help: 'GET /admin/v1/receipt-keys. States: signing (signs new receipts), published (in jwks.json for older receipts), retired.',
    arguments: [],
    options: [],
    remote: true,
    run: ({ client }) => client().request('GET', '/receipt-keys'),
  },
  {
    name: 'receipt-keys rotate',
    summary: 'make a new receipt key sign from now on',
    help: 'POST /admin/v1/receipt-keys/rotate. The previous key stays in /.well-known/jwks.json until retired, so earlier receipts still verify.',
    arguments: [],
    options: [],
    remote: true,
    run: ({ client }) => client().request('POST', '/receipt-keys/rotate'),
  },
  {
    name: 'receipt-keys retire',
    summary: 'remove a previous receipt key from jwks.json',
    help: 'POST /admin/v1/receipt-keys/KID/retire. Receipts signed with it can no longer be verified with jwks.json. The signing key cannot be retired.',
    arguments: [KID],
    options: [],
    remote: true,
    run: ({ args, client }) => client().request('POST', `/receipt-keys/${enc(args.kid)}/retire`),
  },
  {
    name: 'me',
    summary: 'show what the gateway knows of your key: its kid, your sub, its roles',
    help: 'GET /admin/v1/me: which key the gateway took the token for, and what it may do.',
    arguments: [],
    options: [],
    remote: true,
    run: ({ client }) => client().request('GET', '/me'),
  },
  {
    name: 'overview',
    summary: 'the exchange at a glance: each arrangement\'s last list, staleness, last rejection, key horizon; outbox and broker',
    help: 'GET /admin/v1/overview. An arrangement is stale when it has sent no accepted list for 26 hours.',
    arguments: [],
    options: [],
    remote: true,
    run: ({ client }) => client().request('GET', '/overview'),
  },
  {
    name: 'audit',
    summary: 'read the audit log',
    help: 'GET /admin/v1/audit, oldest first. Use the "next" value of a page as --after for the following one, or --all.',
    arguments: [],
    options: [
      { flags: '--limit <n>', description: 'entries per page (1 to 500, default 100)' },
      { flags: '--after <cursor>', description: 'cursor: entries after this one' },
      { flags: '--all', description: 'follow the pages to the end and print every entry' },
    ],
    remote: true,
    run: ({ options, client }) => audit(options, client()),
  },
  {
    name: 'submissions',
    summary: 'list the submission log, newest first',
    help: `GET /admin/v1/submissions: every member list whose signature verified (accepted, replayed or
rejected, with the problem), newest first. Filters combine: --administration EU --outcome rejected
--from -7d. Times are RFC 3339 (2026-12-01T00:00:00Z), a date (2026-12-01, midnight UTC) or a time
ago (-24h, -7d); --from is inclusive, --to exclusive. Use the "next" value of a page as --cursor for
the following one, or --all. mra admin submissions show ID prints one submission.`,
    arguments: [],
    options: [
      { flags: '--administration <code>', description: 'only this administration, e.g. EU' },
      { flags: '--message-id <id>', description: 'only submissions with this messageId' },
      { flags: '--outcome <outcome>', description: 'only this outcome', choices: ['accepted', 'replayed', 'rejected'] },
      { flags: '--problem <code>', description: 'only rejections with this problem type code, e.g. schema-violation' },
      { flags: '--from <time>', description: 'received at or after this time' },
      { flags: '--to <time>', description: 'received before this time' },
      { flags: '--limit <n>', description: 'submissions per page (1 to 1000, default 100)' },
      { flags: '--cursor <cursor>', description: 'the "next" of the previous page' },
      { flags: '--all', description: 'follow the pages to the end and print every submission' },
    ],
    remote: true,
    run: ({ options, client }) => submissions(options, client()),
  },
  {
    name: 'submissions show',
    summary: 'show one submission of the log',
    help: 'GET /admin/v1/submissions/ID: its message, outcome, problem and first errors, counts, warnings, digests, size, duration, request id and signed receipt.',
    arguments: [{ name: 'id', description: 'the submission id, as the listing shows it' }],
    options: [],
    remote: true,
    run: ({ args, client }) => client().request('GET', `/submissions/${enc(args.id)}`),
  },
  {
    name: 'token',
    summary: 'print a token for reading the member register (GET /v1/members...), e.g. for curl',
    help: `Signs a token with your administrator key, as the register takes it from a CBP system (contract
section 5): typ JWT, kid, sub, aud mra-gateway-admin, iat, exp; no jti, so it may be used for any
number of reads until it expires, and never on the admin API. The gateway reads with it only when the
key has the role members:read. Prints the token alone on standard output:
TOKEN=$(mra admin token --key ops.jwk) and curl -H "Authorization: Bearer $TOKEN" .../v1/members/EU:DE123456789012.`,
    arguments: [],
    options: [
      ownKey,
      { flags: '--sub <name>', description: `who reads, the token's sub (env MRA_ADMIN_SUB; default ${DEFAULT_READER_SUB})` },
      { flags: '--lifetime <seconds>', description: `how long the token is valid (1 to ${MAX_READER_TOKEN_LIFETIME_SECONDS}, default ${READER_TOKEN_LIFETIME_SECONDS})` },
    ],
    remote: false,
    run: async ({ options, env, note }) => {
      const lifetime = optionalText(options.lifetime) ?? String(READER_TOKEN_LIFETIME_SECONDS);
      if (!/^\d{1,3}$/.test(lifetime) || Number(lifetime) < 1 || Number(lifetime) > MAX_READER_TOKEN_LIFETIME_SECONDS) {
        throw new CliError('usage', `--lifetime is a whole number of seconds from 1 to ${MAX_READER_TOKEN_LIFETIME_SECONDS} (the gateway takes no longer)`);
      }
      const privateJwk = await readAdminKey(keyFile(options, env), note);
      const sub = optionalText(options.sub) || env.MRA_ADMIN_SUB || DEFAULT_READER_SUB;
      const now = new Date();
      const token = await signReaderToken(privateJwk, sub, Number(lifetime), now);
      note(`register token of key ${privateJwk.kid} for ${sub}, valid until ${new Date((Math.floor(now.getTime() / 1000) + Number(lifetime)) * 1000).toISOString()}`);
      return token;
    },
  },
  storeCopyCommand,
];

async function audit(options: CommandContext['options'], client: AdminClient): Promise<unknown> {
  const query = (after: string | undefined) => {
    const params = new URLSearchParams();
    if (typeof options.limit === 'string') params.set('limit', options.limit);
    if (after !== undefined) params.set('after', after);
    const search = params.toString();
    return `/audit${search ? `?${search}` : ''}`;
  };
  const first = optionalText(options.after);
  if (options.all !== true) return client.request('GET', query(first));
  const entries: unknown[] = [];
  let after = first;
  for (;;) {
    const page = (await client.request('GET', query(after))) as { entries: unknown[]; next: number | null };
    entries.push(...page.entries);
    if (page.next === null) return { entries, next: null };
    after = String(page.next);
  }
}

async function submissions(options: CommandContext['options'], client: AdminClient): Promise<unknown> {
  const params = new URLSearchParams();
  const set = (name: string, value: string | boolean | undefined, convert: (v: string) => string = (v) => v) => {
    if (typeof value === 'string') params.set(name, convert(value));
  };
  set('administration', options.administration);
  set('messageId', options.messageId);
  set('outcome', options.outcome);
  set('problem', options.problem);
  set('from', options.from, (v) => pastTime(v, '--from'));
  set('to', options.to, (v) => pastTime(v, '--to'));
  set('limit', options.limit);
  const query = (cursor: string | undefined) => {
    const page = new URLSearchParams(params);
    if (cursor !== undefined) page.set('cursor', cursor);
    const search = page.toString();
    return `/submissions${search ? `?${search}` : ''}`;
  };
  const first = optionalText(options.cursor);
  if (options.all !== true) return client.request('GET', query(first));
  const all: unknown[] = [];
  let cursor = first;
  for (;;) {
    const page = (await client.request('GET', query(cursor))) as { submissions: unknown[]; next: string | null };
    all.push(...page.submissions);
    if (page.next === null) return { submissions: all, next: null };
    cursor = page.next;
  }
}

async function entryToAdd(options: CommandContext['options'], env: CliEnv, note: (text: string) => void): Promise<AdminPublicKey> {
  const jwkFile = optionalText(options.jwk);
  const ownFile = optionalText(options.key);
  const chosenRoles = parseRoles(optionalText(options.roles));
  if (jwkFile !== undefined && ownFile !== undefined) throw new CliError('usage', '--key (your own key) and --jwk (a public key) name the key to add: give one of them');
  if (jwkFile !== undefined) {
    const jwk = readPublicJwkFile(jwkFile, '--jwk');
    if (typeof jwk.kid !== 'string' || jwk.kid === '') throw new CliError('invalid-key', `--jwk ${jwkFile} has no "kid": the gateway finds a key by it`);
    const { roles: ownRoles, ...rest } = jwk;
    const keptRoles = chosenRoles ?? (ownRoles === undefined ? undefined : (ownRoles as AdminPublicKey['roles']));
    return { ...rest, kid: jwk.kid, ...(keptRoles !== undefined ? { roles: keptRoles } : {}) };
  }
  if (ownFile === undefined && (env.MRA_ADMIN_KEY === undefined || env.MRA_ADMIN_KEY === '')) throw new CliError('usage', 'name the key to add: --key (your private JWK, or MRA_ADMIN_KEY) or --jwk (a public JWK)');
  return adminPublicKey(await readAdminKey(keyFile(options, env), note), chosenRoles);
}

function publicOutput(publicJwk: AdminPublicKey, file: string | boolean | undefined, note: (text: string) => void): AdminPublicKey | undefined {
  if (typeof file !== 'string') return publicJwk;
  writeOutputFile(file, `${JSON.stringify(publicJwk, null, 2)}\n`);
  note(`public key ${publicJwk.kid} written to ${file}`);
  return undefined;
}

/** --key, else MRA_ADMIN_KEY. */
export function keyFile(options: CommandContext['options'], env: CliEnv): string {
  const file = optionalText(options.key) ?? env.MRA_ADMIN_KEY;
  if (file === undefined || file === '') throw new CliError('usage', '--key (or MRA_ADMIN_KEY) is required: the file with your administrator private JWK');
  return file;
}

function text(value: string | boolean | undefined): string {
  return typeof value === 'string' ? value : '';
}

function optionalText(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function optional<K extends string>(name: K, value: string | boolean | undefined): Partial<Record<K, string>> {
  return typeof value === 'string' ? ({ [name]: value } as Record<K, string>) : {};
}

function optionalRoles(value: string | boolean | undefined): { roles?: AdminPublicKey['roles'] } {
  const parsed = parseRoles(optionalText(value));
  return parsed ? { roles: parsed } : {};
}

function optionalTime(value: string | boolean | undefined, option: string): string | undefined {
  return typeof value === 'string' ? time(value, option) : undefined;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An RFC 3339 time as given, or "+<n><s|m|h|d>" from now. */
export function time(value: string, option = 'the time', now: Date = new Date()): string {
  const relative = /^\+(\d{1,6})([smhd])$/.exec(value);
  if (relative) return new Date(now.getTime() + Number(relative[1]) * UNIT_MS[relative[2]!]!).toISOString();
  if (Number.isNaN(Date.parse(value))) throw new CliError('usage', `${option} "${value}" is not a time: use RFC 3339 (2030-01-31T00:00:00Z) or +30d, +12h, +15m, +30s`);
  return value;
}

/** An RFC 3339 time as given, a date (its midnight UTC), or "-<n><s|m|h|d>" ago. */
export function pastTime(value: string, option = 'the time', now: Date = new Date()): string {
  const ago = /^-(\d{1,6})([smhd])$/.exec(value);
  if (ago) return new Date(now.getTime() - Number(ago[1]) * UNIT_MS[ago[2]!]!).toISOString();
  if (/^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return `${value}T00:00:00Z`;
  if (Number.isNaN(Date.parse(value))) throw new CliError('usage', `${option} "${value}" is not a time: use RFC 3339 (2026-12-01T00:00:00Z), a date (2026-12-01) or a time ago (-24h, -7d)`);
  return value;
}

function enc(value: string | undefined): string {
  return encodeURIComponent(value ?? '');
}
