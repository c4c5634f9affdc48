/**
 * What can go wrong in the partner tool, each with its own exit code so scripts can react without
 * parsing messages. Tests assert the code, never the wording.
 */
export const PARTNER_TOOL_EXIT_CODES = {
  usage: 2,
  'file-unreadable': 3,
  'file-exists': 3,
  'invalid-json': 3,
  'invalid-key': 3,
  'schema-violation': 4,
  'gateway-unreachable': 5,
  'unexpected-response': 5,
  rejected: 6,
  'receipt-unverified': 7,
} as const;

export type PartnerToolErrorCode = keyof typeof PARTNER_TOOL_EXIT_CODES;

export class PartnerToolError extends Error {
  readonly exitCode: number;

  constructor(
    readonly code: PartnerToolErrorCode,
    message: string,
    /** Lines that explain the error further (e.g. every schema error). */
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'PartnerToolError';
    this.exitCode = PARTNER_TOOL_EXIT_CODES[code];
  }
}
