import { problemTypes, type ProblemCode } from './problem-types.js';

/** One item of a problem's `errors[]`: where in the payload and what is wrong there. */
export interface ProblemItem {
  /** JSON Pointer (RFC 6901) into the message payload. */
  pointer: string;
  detail: string;
}

/**
 * The one error type of the gateway. `code` is stable and maps to the problem `type` URI that clients
 * switch on; `detail` is for people and may change wording at any time.
 */
export class GatewayError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly errors: ProblemItem[] | undefined;
  /** Extra members for the problem document (e.g. the signed rejection receipt). */
  readonly extensions: Record<string, unknown>;

  constructor(code: ProblemCode, detail: string, options: { errors?: ProblemItem[]; cause?: unknown; extensions?: Record<string, unknown> } = {}) {
    super(detail, { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = problemTypes[code].status;
    this.errors = options.errors;
    this.extensions = options.extensions ?? {};
  }

  /** A copy carrying extra problem members, used to attach a signed receipt to a rejection. */
  withExtensions(extensions: Record<string, unknown>): GatewayError {
    return new GatewayError(this.code, this.message, {
      errors: this.errors,
      cause: this.cause,
      extensions: { ...this.extensions, ...extensions },
    });
  }
}
