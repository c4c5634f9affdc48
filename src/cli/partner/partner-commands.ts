import type { JSONWebKeySet } from 'jose';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { writeLine, type CliIo } from '../cli-io.js';
import { readMemberListFile } from './member-list-file.js';
import { generatePartnerKey, KEY_ALGORITHMS, readableByOthers, readSigningKey, type KeyAlgorithm } from './partner-key-files.js';
import { PartnerToolError } from './partner-tool-error.js';
import { uploadProgress } from './progress.js';
import { pushMemberList, type PushResult } from './push-member-list.js';
import { signMemberList, type Serialization } from './sign-member-list.js';

export const PARTNER_TOOL_HELP = `mra-partner: sign and send AEO member lists to the CBP MRA gateway

  mra-partner keygen --administration EU --private-key eu-key.jwk.json [--public-key eu-key.pub.json] [--alg ES256] [--kid KID] [--force]
      New signing key pair. The private JWK is written with mode 0600; the public JWK is printed (or
      written to --public-key) for CBP to register. --alg: ${KEY_ALGORITHMS.join(', ')}.

  mra-partner sign --key eu-key.jwk.json --list members.json [--out members.jws] [--serialization compact|json] [--stamp]
      Checks the list against member-list.v1.json and signs it (typ mra-member-list+json).
      --stamp gives the list a new messageId and issuedAt and drops its sequence: for trial runs.

  mra-partner push --gateway URL --jws members.jws [--jwks gateway-jwks.json] [--receipt-out receipt.json]
      Sends a signed list, prints the receipt and verifies its signature with the gateway's JWKS
      (fetched from URL/.well-known/jwks.json unless --jwks names a pinned copy).

  mra-partner send --gateway URL --key eu-key.jwk.json --list members.json [sign and push options]
      sign, then push.

Retrying: send the same list (same payload, same messageId) again; signing it again is fine. The
gateway answers a replay with 200 and the original receipt, whose payloadDigest is checked against
what was signed (its digest is that of the body first accepted). Any change to the list needs a new
messageId. Retry without --stamp: --stamp gives the list a new messageId every time.

Exit codes: 0 accepted or replayed (receipt verified), 2 usage, 3 unreadable or invalid file or key,
4 list fails the schema (nothing sent), 5 gateway unreachable or unexpected answer, 6 rejected by the
gateway (the problem is printed), 7 receipt signature or content does not verify.`;

const COMMON = { help: { type: 'boolean', short: 'h' } } as const;
const SIGN_OPTIONS = { key: { type: 'string' }, list: { type: 'string' }, serialization: { type: 'string' }, stamp: { type: 'boolean' } } as const;
const PUSH_OPTIONS = { gateway: { type: 'string' }, jwks: { type: 'string' }, 'receipt-out': { type: 'string' } } as const;

/** Runs one partner-tool command; returns the process exit code. */
export async function runPartnerTool(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'keygen':
        return await keygen(rest, io);
      case 'sign':
        return await sign(rest, io);
      case 'push':
        return await push(rest, io);
      case 'send':
        return await send(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        writeLine(io.stdout, PARTNER_TOOL_HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new PartnerToolError('usage', `unknown command "${command}"; try mra-partner --help`);
    }
  } catch (error) {
    if (!(error instanceof PartnerToolError)) throw error;
    writeLine(io.stderr, `mra-partner: ${error.message}`);
    for (const line of error.details) writeLine(io.stderr, `  ${line}`);
    return error.exitCode;
  }
}

function options<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], spec: T) {
  try {
    return parseArgs({ args: [...args], options: { ...COMMON, ...spec }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new PartnerToolError('usage', (error as Error).message);
  }
}

function required(value: string | boolean | undefined, flag: string): string {
  if (typeof value !== 'string' || value === '') throw new PartnerToolError('usage', `--${flag} is required; try mra-partner --help`);
  return value;
}

async function keygen(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, {
    administration: { type: 'string' },
    alg: { type: 'string', default: 'ES256' },
    kid: { type: 'string' },
    'private-key': { type: 'string' },
    'public-key': { type: 'string' },
    force: { type: 'boolean' },
  });
  const administration = required(values.administration, 'administration');
  if (!/^[A-Z]{2}$/.test(administration)) throw new PartnerToolError('usage', '--administration is the two-letter registry code, e.g. EU or JP');
  const alg = values.alg;
  if (!(KEY_ALGORITHMS as readonly string[]).includes(alg)) throw new PartnerToolError('usage', `--alg must be one of ${KEY_ALGORITHMS.join(', ')}`);
  const generated = await generatePartnerKey({
    administration,
    alg: alg as KeyAlgorithm,
    privateKeyFile: required(values['private-key'], 'private-key'),
    ...(typeof values.kid === 'string' ? { kid: values.kid } : {}),
    force: values.force === true,
  });
  const publicText = `${JSON.stringify(generated.publicJwk, null, 2)}\n`;
  if (typeof values['public-key'] === 'string') writeFileSync(values['public-key'], publicText);
  else io.stdout.write(publicText);
  writeLine(io.stderr, `private key ${generated.kid} written to ${generated.privateKeyFile} (mode 0600): keep it secret`);
  writeLine(io.stderr, `send the public key${typeof values['public-key'] === 'string' ? ` in ${values['public-key']}` : ' above'} to CBP to register it for ${administration}`);
  return 0;
}

async function signed(values: { key?: string | boolean; list?: string | boolean; serialization?: string | boolean; stamp?: string | boolean }, io: CliIo): Promise<string> {
  const serialization = (values.serialization ?? 'compact') as Serialization;
  if (serialization !== 'compact' && serialization !== 'json') throw new PartnerToolError('usage', '--serialization is compact or json');
  const keyFile = required(values.key, 'key');
  const listFile = required(values.list, 'list');
  const key = await readSigningKey(keyFile);
  if (readableByOthers(keyFile)) writeLine(io.stderr, `warning: ${keyFile} can be read by others; chmod 600 it`);
  const { list, payload } = readMemberListFile(listFile, { stamp: values.stamp === true });
  writeLine(io.stderr, `signing ${list.kind} ${list.messageId} of ${list.administration}: ${list.members.length} member(s), key ${key.kid}`);
  return signMemberList(payload, key, serialization);
}

async function sign(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, { ...SIGN_OPTIONS, out: { type: 'string' } });
  const jws = await signed(values, io);
  if (typeof values.out === 'string') writeFileSync(values.out, jws);
  else writeLine(io.stdout, jws);
  return 0;
}

async function push(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, { ...PUSH_OPTIONS, jws: { type: 'string' } });
  const file = required(values.jws, 'jws');
  let jws: string;
  try {
    jws = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PartnerToolError('file-unreadable', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return pushAndReport(jws, values, io);
}

async function send(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, { ...SIGN_OPTIONS, ...PUSH_OPTIONS });
  required(values.gateway, 'gateway');
  return pushAndReport(await signed(values, io), values, io);
}

async function pushAndReport(jws: string, values: { gateway?: string | boolean; jwks?: string | boolean; 'receipt-out'?: string | boolean }, io: CliIo): Promise<number> {
  const gateway = required(values.gateway, 'gateway');
  const result = await pushMemberList({
    gateway,
    jws,
    ...(typeof values.jwks === 'string' ? { jwks: readJwks(values.jwks) } : {}),
    onProgress: uploadProgress(io.stderr, 'uploading'),
    onUploaded: () => writeLine(io.stderr, 'sent; waiting for the gateway to check and store the list'),
  });
  const answer = result.outcome === 'rejected' ? result.problem : result.receipt;
  io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  if (typeof values['receipt-out'] === 'string') writeFileSync(values['receipt-out'], `${JSON.stringify(answer, null, 2)}\n`);
  report(result, io);
  return result.outcome === 'rejected' ? 6 : 0;
}

function report(result: PushResult, io: CliIo): void {
  if (result.outcome === 'rejected') {
    writeLine(io.stderr, `rejected (${result.status}): ${String(result.problem.type)}: ${String(result.problem.detail)}`);
    const errors = Array.isArray(result.problem.errors) ? (result.problem.errors as { pointer: string; detail: string }[]) : [];
    for (const error of errors.slice(0, 20)) writeLine(io.stderr, `  ${error.pointer}: ${error.detail}`);
    if (errors.length > 20) writeLine(io.stderr, `  ... and ${errors.length - 20} more`);
    writeLine(io.stderr, result.verified ? `the rejection receipt is signed by gateway key ${result.verified.kid} and verified` : 'no signed receipt (the sender was not authenticated)');
    return;
  }
  const counts = result.receipt.counts as Record<string, number>;
  writeLine(io.stderr, `${result.outcome} (${result.status}): ${String(result.receipt.messageId)} of ${String(result.receipt.administration)} at ${String(result.receipt.receivedAt)}`);
  writeLine(io.stderr, `  ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const warnings = result.receipt.warnings as unknown[];
  if (warnings.length > 0) writeLine(io.stderr, `  ${warnings.length} warning(s): see "warnings" in the receipt`);
  writeLine(
    io.stderr,
    result.verified.matched === 'digest'
      ? `receipt signature verified: gateway key ${result.verified.kid}; its digest is that of the body sent`
      : `receipt signature verified: gateway key ${result.verified.kid}; its payloadDigest is that of the payload signed (the original receipt: the gateway first accepted this payload in another body, whose digest it carries)`,
  );
}

function readJwks(file: string): JSONWebKeySet {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
    if (!Array.isArray(parsed.keys)) throw new SyntaxError('no "keys" array');
    return parsed;
  } catch (error) {
    if (error instanceof SyntaxError) throw new PartnerToolError('invalid-json', `${file} is not a JWK Set: ${error.message}`);
    throw new PartnerToolError('file-unreadable', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
