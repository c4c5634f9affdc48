import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CliError, errorCode } from './cli-error.js';

/** Reads a text file; a file that cannot be read is exit code 3, with `what` it should have been. */
export function readTextFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError('file-unreadable', `cannot read ${what} ${file}: ${errorCode(error)}`);
  }
}

/** Reads and parses a JSON file (exit code 3 when it cannot be read or is not JSON). */
export function readJsonFile(file: string, what: string): unknown {
  const text = readTextFile(file, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError('invalid-json', `${file} is not JSON (${what} expected): ${(error as Error).message}`);
  }
}

export interface WriteOptions {
  /** File mode for a new file (0600 for private keys). */
  mode?: number;
  /** Refuse to replace an existing file; `hint` says how to get past it. */
  exclusive?: { hint: string };
}

/**
 * Writes a file, creating its parent folders first (0700 for new ones when the file is private). An
 * existing file is replaced unless `exclusive`, then it is exit code 3 and left as it was.
 */
export function writeOutputFile(file: string, text: string, options: WriteOptions = {}): void {
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true, ...(options.mode !== undefined && (options.mode & 0o077) === 0 ? { mode: 0o700 } : {}) });
    writeFileSync(file, text, { ...(options.mode !== undefined ? { mode: options.mode } : {}), flag: options.exclusive ? 'wx' : 'w' });
  } catch (error) {
    if (errorCode(error) === 'EEXIST' && options.exclusive) throw new CliError('file-exists', `${file} exists and was left as it is; ${options.exclusive.hint}`);
    throw new CliError('file-unreadable', `cannot write ${file}: ${errorCode(error)}`);
  }
}

/**
 * Replaces a file as one step (a temporary file beside it, then renamed over it), keeping its mode:
 * a reader, such as a gateway starting at that moment, sees the old content or the new, never half.
 */
export function replaceFile(file: string, text: string): void {
  const temporary = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  let mode: number | undefined;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    mode = undefined;
  }
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(temporary, text, { flag: 'w', ...(mode !== undefined ? { mode } : {}) });
    renameSync(temporary, file);
  } catch (error) {
    throw new CliError('file-unreadable', `cannot write ${file}: ${errorCode(error)}`);
  }
}

/** Whether others than the owner may read the file (a private key should be 0600). */
export function readableByOthers(file: string): boolean {
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}
