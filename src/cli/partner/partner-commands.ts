import { Option, type Command } from 'commander';
import type { JSONWebKeySet } from 'jose';
import { CliError, EXIT_CODES } from '../cli-error.js';
import { action, GATEWAY_URL_FLAGS, GATEWAY_URL_HELP, resolveGatewayUrl, type CliContext, type CliEnv } from '../cli-context.js';
import { readJsonFile, readTextFile, writeOutputFile } from '../cli-files.js';
import { helpParagraphs, writeLine, type CliIo } from '../cli-io.js';
import { runMra } from '../mra-program.js';
import { readMemberListFile } from './member-list-file.js';
import { ADMINISTRATION_CODE, generatePartnerKey, KEY_ALGORITHMS, readableByOthers, readSigningKey, type KeyAlgorithm } from './partner-key-files.js';
import { uploadProgress } from './progress.js';
import { pushMemberList, type PushResult } from './push-member-list.js';
import { signMemberList, type Serialization } from './sign-member-list.js';

interface SignOptions {
  key: string;
  list: string;
  serialization: Serialization;
  stamp?: boolean;
}

interface PushOptions {
  gatewayUrl?: string;
  jwks?: string;
  receiptOut?: string;
}

const RETRY_HELP = `Retrying: push the same .jws again, or send the same file again without --stamp (signing it again is
fine). The gateway answers a replay with 200 and the original receipt, whose payloadDigest is checked
against what was signed. Any change to the list needs a new messageId; --stamp gives one every time,
so never retry with --stamp.`;

const PUSH_HELP = `The receipt (or the problem document of a rejection) is printed on standard output; what
happens, on standard error. Before the list is sent, the base URL is checked: an mra-gateway serves
its receipt keys at /.well-known/jwks.json under it, so nothing listening there, or something that is
not an mra-gateway, stops the push with exit code 5 before a byte of the list is sent.`;

/** `mra partner ...`: what a partner administration's system does. */
export function addPartnerCommands(program: Command, context: CliContext): void {
  const partner = program
    .command('partner')
    .description('sign and send AEO member lists to the gateway (a partner administration)')
    .addHelpText('after', `\n${helpParagraphs(RETRY_HELP)}`);

  partner
    .command('keygen')
    .description('create a signing key pair: the private JWK (mode 0600) for you, the public one for CBP')
    .requiredOption('--administration <code>', 'the administration the key signs for: its two-letter code, e.g. EU (required)')
    .requiredOption('--key <file>', 'where to write the private JWK (required; folders are created; never replaced without --force)')
    .option('--public-key <file>', 'write the public JWK there instead of printing it')
    .addOption(new Option('--alg <alg>', 'signature algorithm').choices(KEY_ALGORITHMS).default('ES256'))
    .option('--kid <kid>', 'key id (default: <administration>-<date>-<thumbprint prefix>)')
    .option('--force', 'replace an existing private key file (the key in it is lost)')
    .addHelpText('after', `\n${helpParagraphs('The private key file records the administration ("mra:administration"): sign and send refuse a list of another administration with it. Parent folders are created.')}`)
    .action(action(context, (options: { administration: string; key: string; publicKey?: string; alg: KeyAlgorithm; kid?: string; force?: boolean }) => keygen(options, context.io)));

  partner
    .command('public-key')
    .description('print the public JWK of a private key file again (to send to CBP)')
    .requiredOption('--key <file>', 'your private JWK (required)')
    .option('--public-key <file>', 'write the public JWK there instead of printing it')
    .action(action(context, (options: { key: string; publicKey?: string }) => publicKey(options, context.io)));

  const sign = partner
    .command('sign')
    .description('check a member list against member-list.v1.json and sign it (JWS, typ mra-member-list+json)')
    .option('--out <file>', 'write the JWS there (default: standard output)');
  addSignOptions(sign).action(action(context, (options: SignOptions & { out?: string }) => signCommand(options, context.io)));

  const push = partner
    .command('push')
    .description('send a signed list, print the receipt and verify it')
    .requiredOption('--jws <file>', 'the signed list, as written by mra partner sign (required)');
  addPushOptions(push).action(action(context, (options: PushOptions & { jws: string }) => pushCommand(options, context)));

  const send = partner.command('send').description('sign a member list and push it: mra partner sign, then mra partner push');
  addPushOptions(addSignOptions(send)).action(action(context, (options: SignOptions & PushOptions) => sendCommand(options, context)));
}

function addSignOptions(command: Command): Command {
  return command
    .requiredOption('--key <file>', 'your private JWK (required)')
    .requiredOption('--list <file>', 'the member list, JSON (required)')
    .addOption(new Option('--serialization <form>', 'JWS serialization').choices(['compact', 'json']).default('compact'))
    .option('--stamp', 'give the list a new messageId and issuedAt (now) and drop its sequence: for trial runs, never for retries');
}

function addPushOptions(command: Command): Command {
  return command
    .option(GATEWAY_URL_FLAGS, GATEWAY_URL_HELP)
    .option('--jwks <file>', "verify the receipt with this pinned copy of the gateway's JWK Set instead of the one it serves")
    .option('--receipt-out <file>', 'also write the receipt (or the problem document) there')
    .addHelpText('after', `\n${helpParagraphs(PUSH_HELP)}`);
}

/** Runs one partner command line (the words after `mra partner`); for tests and scripts. */
export function runPartnerTool(argv: readonly string[], io: CliIo, env: CliEnv = {}): Promise<number> {
  return runMra(['partner', ...argv], io, env);
}

async function keygen(options: { administration: string; key: string; publicKey?: string; alg: KeyAlgorithm; kid?: string; force?: boolean }, io: CliIo): Promise<number> {
  if (!ADMINISTRATION_CODE.test(options.administration)) throw new CliError('usage', '--administration is the two-letter code of the administration in the MRA registry, e.g. EU or JP');
  const generated = await generatePartnerKey({
    administration: options.administration,
    alg: options.alg,
    privateKeyFile: options.key,
    ...(options.kid !== undefined ? { kid: options.kid } : {}),
    force: options.force === true,
  });
  writePublicKey(generated.publicJwk, options.publicKey, io);
  writeLine(io.stderr, `private key ${generated.kid} of ${options.administration} written to ${generated.privateKeyFile} (mode 0600): keep it secret`);
  writeLine(io.stderr, `send the public key${options.publicKey !== undefined ? ` in ${options.publicKey}` : ' above'} to CBP to register it for ${options.administration}`);
  return EXIT_CODES.ok;
}

async function publicKey(options: { key: string; publicKey?: string }, io: CliIo): Promise<number> {
  const key = await readSigningKey(options.key);
  writePublicKey(key.publicJwk, options.publicKey, io);
  writeLine(io.stderr, `public key ${key.kid}${key.administration !== undefined ? ` of ${key.administration}` : ''}${options.publicKey !== undefined ? ` written to ${options.publicKey}` : ''}`);
  return EXIT_CODES.ok;
}

function writePublicKey(jwk: object, file: string | undefined, io: CliIo): void {
  const text = `${JSON.stringify(jwk, null, 2)}\n`;
  if (file !== undefined) writeOutputFile(file, text);
  else io.stdout.write(text);
}

/** Reads the key and the list, checks both, and signs: the JWS. Nothing is written or sent here. */
async function signed(options: SignOptions, io: CliIo): Promise<string> {
  const key = await readSigningKey(options.key);
  if (readableByOthers(options.key)) writeLine(io.stderr, `warning: ${options.key} can be read by others; chmod 600 it`);
  const { list, payload } = readMemberListFile(options.list, { stamp: options.stamp === true });
  if (key.administration === undefined) {
    writeLine(io.stderr, `note: ${options.key} does not say which administration it is for (a key file from before mra 0.2.0); the gateway refuses a list of another administration (403)`);
  } else if (key.administration !== list.administration) {
    throw new CliError('key-mismatch', `${options.key} is a key of ${key.administration}, but ${options.list} is a list of ${list.administration}: sign it with a key of ${list.administration}; nothing was signed or sent`);
  }
  if (options.stamp === true) writeLine(io.stderr, `stamped: messageId ${list.messageId}, issuedAt ${list.issuedAt}, no sequence`);
  writeLine(io.stderr, `signing ${list.kind} ${list.messageId} of ${list.administration}: ${list.members.length} member(s), key ${key.kid}`);
  return signMemberList(payload, key, options.serialization);
}

async function signCommand(options: SignOptions & { out?: string }, io: CliIo): Promise<number> {
  const jws = await signed(options, io);
  if (options.out !== undefined) {
    writeOutputFile(options.out, `${jws}\n`);
    writeLine(io.stderr, `JWS (${options.serialization} serialization, ${Buffer.byteLength(jws)} bytes) written to ${options.out}`);
  } else {
    writeLine(io.stdout, jws);
    writeLine(io.stderr, `JWS (${options.serialization} serialization, ${Buffer.byteLength(jws)} bytes) written to standard output`);
  }
  return EXIT_CODES.ok;
}

async function pushCommand(options: PushOptions & { jws: string }, context: CliContext): Promise<number> {
  const jws = readTextFile(options.jws, 'the signed list');
  if (jws.trim() === '') throw new CliError('invalid-file', `${options.jws} is empty: it should hold a JWS written by mra partner sign`);
  return pushAndReport(jws, options, context);
}

async function sendCommand(options: SignOptions & PushOptions, context: CliContext): Promise<number> {
  // The pinned key set, if any, is read before anything is signed or sent.
  const jwks = options.jwks !== undefined ? readJwks(options.jwks) : undefined;
  return pushAndReport(await signed(options, context.io), options, context, jwks);
}

async function pushAndReport(jws: string, options: PushOptions, context: CliContext, pinned?: JSONWebKeySet): Promise<number> {
  const { io } = context;
  const gateway = resolveGatewayUrl(options.gatewayUrl, context.env);
  const jwks = pinned ?? (options.jwks !== undefined ? readJwks(options.jwks) : undefined);
  let result: PushResult;
  let uploaded = false;
  try {
    result = await pushMemberList({
      gateway,
      jws,
      ...(jwks ? { jwks } : {}),
      onSending: (url, bytes) => writeLine(io.stderr, `sending ${bytes} bytes to ${url.href}`),
      onProgress: uploadProgress(io.stderr, 'uploading'),
      onUploaded: () => {
        uploaded = true;
        writeLine(io.stderr, 'uploaded; waiting for the gateway to check and store the list');
      },
    });
  } catch (error) {
    if (error instanceof CliError && error.code === 'unreachable') {
      throw new CliError(
        'unreachable',
        uploaded
          ? `${error.message}. The list was uploaded but no answer came: it may have been accepted. Send the same signed list again (not re-stamped): a replay is answered 200 with the original receipt`
          : `${error.message}; the list was not sent`,
      );
    }
    if (error instanceof CliError && error.code === 'unexpected-response' && uploaded) {
      throw new CliError('unexpected-response', `${error.message}. Whether the list was accepted is not known: send the same signed list again (not re-stamped) once the gateway answers`);
    }
    throw error;
  }
  const answer = result.outcome === 'rejected' ? result.problem : result.receipt;
  io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  if (options.receiptOut !== undefined) {
    writeOutputFile(options.receiptOut, `${JSON.stringify(answer, null, 2)}\n`);
    writeLine(io.stderr, `${result.outcome === 'rejected' ? 'problem document' : 'receipt'} written to ${options.receiptOut}`);
  }
  report(result, io);
  return result.outcome === 'rejected' ? EXIT_CODES.refused : EXIT_CODES.ok;
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
  const counts = (result.receipt.counts ?? {}) as Record<string, number>;
  writeLine(io.stderr, `${result.outcome} (${result.status}): ${String(result.receipt.messageId)} of ${String(result.receipt.administration)} at ${String(result.receipt.receivedAt)}`);
  writeLine(io.stderr, `  ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (result.outcome === 'replayed') writeLine(io.stderr, '  a replay: the gateway already had this message; nothing was stored or published again');
  const warnings = Array.isArray(result.receipt.warnings) ? result.receipt.warnings : [];
  if (warnings.length > 0) writeLine(io.stderr, `  ${warnings.length} warning(s): see "warnings" in the receipt`);
  writeLine(
    io.stderr,
    result.verified.matched === 'digest'
      ? `receipt signature verified: gateway key ${result.verified.kid}; its digest is that of the body sent`
      : `receipt signature verified: gateway key ${result.verified.kid}; its payloadDigest is that of the payload signed (the original receipt: the gateway first accepted this payload in another body, whose digest it carries)`,
  );
}

function readJwks(file: string): JSONWebKeySet {
  const parsed = readJsonFile(file, 'a JWK Set') as { keys?: unknown } | null;
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(parsed.keys)) throw new CliError('invalid-file', `${file} is not a JWK Set: no "keys" array`);
  return parsed as JSONWebKeySet;
}
