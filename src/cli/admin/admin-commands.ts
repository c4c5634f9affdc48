import { readFileSync } from 'node:fs';
import { ADMIN_ROLES, ADMIN_TOKEN_ALGORITHMS } from '../../admin/admin-key.js';
import type { AdminClient } from './admin-client.js';
import { keygen } from './admin-keygen.js';
import { requiredOption, UsageError } from './usage-error.js';


export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
}

/** What a command gets when it runs: its arguments, options, and (for remote commands) a client. */
export interface CommandContext {
  args: Record<string, string>;
  options: Record<string, string | boolean | undefined>;
  /** The gateway client (remote commands only). */
  client: () => AdminClient;
  /** For notes that are not the command's JSON result (written to stderr). */
  note: (text: string) => void;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Paragraphs of --help after the usage line. */
  help: string;
  positionals: readonly string[];
  options: Record<string, OptionSpec>;
  /** Whether it calls the gateway (and so needs --url, --key, --sub). */
  remote: boolean;
  run(context: CommandContext): Promise<unknown>;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const reason: OptionSpec = { type: 'string', description: 'why (required; recorded in the audit log)' };

function statusChange(name: string, status: string, summary: string, help: string): CommandSpec {
  return {
    name: `arrangements ${name}`,
    summary,
    help,
    positionals: ['CODE'],
    options: { reason },
    remote: true,
    run: ({ args, options, client }) =>
      client().request('PATCH', `/administrations/${enc(args.CODE)}`, { status, reason: requiredOption(options, 'reason') }),
  };
}

/** Every command of mra-admin, in the order --help lists them. */
export const commands: readonly CommandSpec[] = [
  {
    name: 'keygen',
    summary: 'create an administrator key pair',
    help: `Writes a new private JWK to --out (file mode 0600; an existing file is never overwritten) and prints
the public JWK. Add the printed key to the "keys" array of CONFIG_DIR/admin-keys.json on the gateway
and restart it; then use --key with the private file for every other command.
--roles limits what the key may do (${ADMIN_ROLES.join(', ')}); without it the key may do everything.`,
    positionals: [],
    options: {
      out: { type: 'string', description: 'where to write the private JWK (required)' },
      kid: { type: 'string', description: 'key id (default: the key\'s RFC 7638 thumbprint)' },
      alg: { type: 'string', description: `signing algorithm (default ES256; one of ${ADMIN_TOKEN_ALGORITHMS.join(', ')})` },
      roles: { type: 'string', description: `comma-separated roles for the public key (${ADMIN_ROLES.join(',')})` },
    },
    remote: false,
    run: ({ options, note }) => keygen(options, note),
  },
  {
    name: 'arrangements list',
    summary: 'list the arrangements and their status',
    help: 'GET /admin/v1/administrations. Shows each MRA\'s status in force, the status in mras.json, and whether submissions are accepted now.',
    positionals: [],
    options: {},
    remote: true,
    run: ({ client }) => client().request('GET', '/administrations'),
  },
  {
    name: 'arrangements show',
    summary: 'show one arrangement',
    help: 'GET /admin/v1/administrations/CODE.',
    positionals: ['CODE'],
    options: {},
    remote: true,
    run: ({ args, client }) => client().request('GET', `/administrations/${enc(args.CODE)}`),
  },
  statusChange('suspend', 'suspended', 'suspend an MRA (its submissions are refused at once)', 'PATCH /admin/v1/administrations/CODE {"status":"suspended"}. Submissions get 403 mra-not-active until reinstated.'),
  statusChange('reinstate', 'active', 'reinstate a suspended MRA', 'PATCH /admin/v1/administrations/CODE {"status":"active"}. A terminated MRA cannot be reinstated (409).'),
  statusChange('terminate', 'terminated', 'terminate an MRA for good', 'PATCH /admin/v1/administrations/CODE {"status":"terminated"}. Final: it cannot be reinstated.'),
  {
    name: 'keys list',
    summary: 'list an administration\'s partner keys and their state',
    help: 'GET /admin/v1/administrations/CODE/keys. States: pending, active, retiring, expired, revoked, unsafe.',
    positionals: ['CODE'],
    options: {},
    remote: true,
    run: ({ args, client }) => client().request('GET', `/administrations/${enc(args.CODE)}/keys`),
  },
  {
    name: 'keys add',
    summary: 'register a partner\'s public signing key',
    help: `POST /admin/v1/administrations/CODE/keys. --jwk is a file holding the partner's public JWK (or a
JWK Set with one key). Times are RFC 3339 (2030-01-31T00:00:00Z) or relative to now (+30d, +12h, +15m).
A file with a private key is refused here, before anything is sent.`,
    positionals: ['CODE'],
    options: {
      jwk: { type: 'string', description: 'file with the public JWK (required)' },
      'not-before': { type: 'string', description: 'the key is accepted from this time (default: now)' },
      'not-after': { type: 'string', description: 'the key is accepted until this time (default: until retired)' },
    },
    remote: true,
    run: ({ args, options, client }) => {
      const notBefore = optionalTime(options, 'not-before');
      const notAfter = optionalTime(options, 'not-after');
      return client().request('POST', `/administrations/${enc(args.CODE)}/keys`, {
        jwk: readPublicJwk(requiredOption(options, 'jwk')),
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
    positionals: ['CODE', 'KID'],
    options: { 'not-after': { type: 'string', description: 'when the key stops being accepted (required, in the future)' } },
    remote: true,
    run: ({ args, options, client }) =>
      client().request('POST', `/administrations/${enc(args.CODE)}/keys/${enc(args.KID)}/retire`, { notAfter: time(requiredOption(options, 'not-after')) }),
  },
  {
    name: 'keys revoke',
    summary: 'revoke a partner key at once',
    help: 'POST /admin/v1/administrations/CODE/keys/KID/revoke. The next submission signed with the key is refused (401 inactive-key).',
    positionals: ['CODE', 'KID'],
    options: { reason },
    remote: true,
    run: ({ args, options, client }) =>
      client().request('POST', `/administrations/${enc(args.CODE)}/keys/${enc(args.KID)}/revoke`, { reason: requiredOption(options, 'reason') }),
  },
  {
    name: 'receipt-keys list',
    summary: 'list the gateway\'s receipt keys',
    help: 'GET /admin/v1/receipt-keys. States: signing (signs new receipts), published (in jwks.json for older receipts), retired.',
    positionals: [],
    options: {},
    remote: true,
    run: ({ client }) => client().request('GET', '/receipt-keys'),
  },
  {
    name: 'receipt-keys rotate',
    summary: 'make a new receipt key sign from now on',
    help: 'POST /admin/v1/receipt-keys/rotate. The previous key stays in /.well-known/jwks.json until retired, so earlier receipts still verify.',
    positionals: [],
    options: {},
    remote: true,
    run: ({ client }) => client().request('POST', '/receipt-keys/rotate'),
  },
  {
    name: 'receipt-keys retire',
    summary: 'remove a previous receipt key from jwks.json',
    help: 'POST /admin/v1/receipt-keys/KID/retire. Receipts signed with it can no longer be verified with jwks.json. The signing key cannot be retired.',
    positionals: ['KID'],
    options: {},
    remote: true,
    run: ({ args, client }) => client().request('POST', `/receipt-keys/${enc(args.KID)}/retire`),
  },
  {
    name: 'audit',
    summary: 'read the audit log',
    help: 'GET /admin/v1/audit, oldest first. Use the "next" value of a page as --after for the following one, or --all.',
    positionals: [],
    options: {
      limit: { type: 'string', description: 'entries per page (1 to 500, default 100)' },
      after: { type: 'string', description: 'cursor: entries after this one' },
      all: { type: 'boolean', description: 'follow the pages to the end and print every entry' },
    },
    remote: true,
    run: ({ options, client }) => audit(options, client()),
  },
];

async function audit(options: CommandContext['options'], client: AdminClient): Promise<unknown> {
  const query = (after: string | undefined) => {
    const params = new URLSearchParams();
    if (typeof options.limit === 'string') params.set('limit', options.limit);
    if (after !== undefined) params.set('after', after);
    const text = params.toString();
    return `/audit${text ? `?${text}` : ''}`;
  };
  const first = typeof options.after === 'string' ? options.after : undefined;
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

function readPublicJwk(file: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--jwk ${file}: cannot be read as JSON (${(error as Error).message})`);
  }
  const set = (parsed as { keys?: unknown } | null)?.keys;
  if (Array.isArray(set)) {
    if (set.length !== 1) throw new UsageError(`--jwk ${file}: a JWK Set must hold exactly one key here`);
    parsed = set[0];
  }
  if (typeof parsed === 'object' && parsed !== null && PRIVATE_MEMBERS.some((m) => m in parsed)) {
    throw new UsageError(`--jwk ${file} holds a private key; send only the partner's public key`);
  }
  return parsed;
}

function optionalTime(options: CommandContext['options'], name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? time(value) : undefined;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An RFC 3339 time as given, or "+<n><s|m|h|d>" from now. */
export function time(value: string, now: Date = new Date()): string {
  const relative = /^\+(\d{1,6})([smhd])$/.exec(value);
  if (relative) return new Date(now.getTime() + Number(relative[1]) * UNIT_MS[relative[2]!]!).toISOString();
  if (Number.isNaN(Date.parse(value))) throw new UsageError(`"${value}" is not a time: use RFC 3339 (2030-01-31T00:00:00Z) or +30d, +12h, +15m, +30s`);
  return value;
}

function enc(value: string | undefined): string {
  return encodeURIComponent(value ?? '');
}
