/**
 * The partner commands' errors are the CLI's errors (one exit-code table for every `mra` command):
 * these names stay for code written against the partner tool.
 */
export { CLI_ERROR_EXIT_CODES as PARTNER_TOOL_EXIT_CODES, CliError as PartnerToolError, type CliErrorCode as PartnerToolErrorCode } from '../cli-error.js';
