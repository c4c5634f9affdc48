/**
 * The exit codes of every `mra` command (partner, admin, consumer), one table for all, so that a
 * script reacts the same way to the same failure whichever command it ran. Tests assert the codes,
 * never the wording of the messages.
 */
export const EXIT_CODES = {
  /** Done: accepted or replayed with a verified receipt, the admin call answered, the records printed. */
  ok: 0,
  /** A failure the tool did not foresee (a bug): the message says what. */
  unexpected: 1,
  /** The command was called wrongly: unknown command or option, a missing or malformed argument. */
  usage: 2,
  /** A file cannot be read or written, is not what it should be (JSON, a key, a JWK Set), or does not fit the command (a key of another administration, a file that exists, a target database that holds gateway data). */
  file: 3,
  /** The member list does not match member-list.v1.json: nothing was sent. */
  schema: 4,
  /** The gateway or broker cannot be reached, or what answered is not an mra-gateway (wrong base URL) or answered what it never does. */
  unreachable: 5,
  /** The gateway refused (its problem document is printed), or the broker refused (no such queue or exchange, access refused). */
  refused: 6,
  /** The gateway's receipt does not verify: its signature, or what it says was received. */
  receipt: 7,
  /** The output was closed before everything was written (consumer: the rest stays on the queue). */
  outputClosed: 8,
} as const;

/** The exit-code table as the help and the README show it (each meaning fits an 80-column line). */
export const EXIT_CODE_TABLE: readonly (readonly [number, string])[] = [
  [EXIT_CODES.ok, 'done (for a list: accepted or replayed, its receipt verified)'],
  [EXIT_CODES.unexpected, 'unexpected failure (a bug; the message says what)'],
  [EXIT_CODES.usage, 'usage: unknown command or option, missing or malformed argument'],
  [EXIT_CODES.file, 'a file unreadable or invalid (or a key file of another administration)'],
  [EXIT_CODES.schema, 'the member list fails the schema (member-list.v1.json); nothing was sent'],
  [EXIT_CODES.unreachable, 'gateway or broker unreachable, no mra-gateway at that URL, unexpected answer'],
  [EXIT_CODES.refused, 'refused by the gateway (problem printed) or the broker (e.g. no such queue)'],
  [EXIT_CODES.receipt, 'the receipt does not verify (signature, or not about what was sent)'],
  [EXIT_CODES.outputClosed, 'output closed before everything was written (consumer)'],
];

/** The table as a block of help text. */
export function exitCodeHelp(): string {
  return ['Exit codes (the same for every mra command):', ...EXIT_CODE_TABLE.map(([code, meaning]) => `  ${code}  ${meaning}`)].join('\n');
}

/** What went wrong, by stable code; each maps to one exit code of the table. */
export const CLI_ERROR_EXIT_CODES = {
  usage: EXIT_CODES.usage,
  'file-unreadable': EXIT_CODES.file,
  'file-exists': EXIT_CODES.file,
  'invalid-json': EXIT_CODES.file,
  'invalid-key': EXIT_CODES.file,
  'invalid-file': EXIT_CODES.file,
  'key-mismatch': EXIT_CODES.file,
  /** mra admin store copy: the target database already holds gateway data, or a store is in use (a gateway runs on it). */
  'store-not-empty': EXIT_CODES.file,
  'store-in-use': EXIT_CODES.file,
  'schema-violation': EXIT_CODES.schema,
  unreachable: EXIT_CODES.unreachable,
  'unexpected-response': EXIT_CODES.unreachable,
  refused: EXIT_CODES.refused,
  'receipt-unverified': EXIT_CODES.receipt,
  'output-closed': EXIT_CODES.outputClosed,
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_EXIT_CODES;

/** A failure a command reports with a message (to stderr) and its exit code. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(
    readonly code: CliErrorCode,
    message: string,
    /** Lines that explain the error further (e.g. every schema error). */
    readonly details: readonly string[] = [],
    /** What to print on stdout all the same: the problem document of a refusal. */
    readonly output?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
    this.exitCode = CLI_ERROR_EXIT_CODES[code];
  }
}

/** The code of a Node.js system error (ENOENT, ECONNREFUSED, ...), else its message. */
export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
