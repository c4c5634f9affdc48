import type { Writable } from 'node:stream';

/** Where a command writes: results to stdout (for pipes), progress and messages to stderr. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
}

/** Writes one line. */
export function writeLine(stream: Writable, line: string): void {
  stream.write(`${line}\n`);
}

/** Whether a stream is an interactive terminal (progress then redraws one line). */
export function isTerminal(stream: Writable): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}
