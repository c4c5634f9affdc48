import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CliError, errorCode } from '../cli-error.js';

/** Lines are handed to the file in batches of about this many bytes (a sync file may hold 250,000 members). */
const BATCH_CHARS = 1 << 20;

function temporaryFor(file: string): string {
  return path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
}

/**
 * Checks, before anything is read, that `file` can be written: its folder is created and a temporary
 * file beside it written and removed. A sync that would fail at its first write fails at once instead.
 */
export function checkWritable(file: string): void {
  const temporary = temporaryFor(file);
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    closeSync(openSync(temporary, 'w'));
    rmSync(temporary, { force: true });
  } catch (error) {
    throw new CliError('file-unreadable', `cannot write ${file}: ${errorCode(error)}`);
  }
}

/**
 * Replaces `file` with `lines` as one step: written to a temporary file beside it, flushed to disk,
 * then renamed over it (keeping the old file's mode), so a reader sees the previous state or the new
 * one, never half of one, and a crash leaves the previous state. Written in batches: never one string
 * of the whole file.
 */
export function replaceWithLines(file: string, lines: Iterable<string>): void {
  const temporary = temporaryFor(file);
  let mode: number | undefined;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    mode = undefined;
  }
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'w', mode ?? 0o644);
    let batch = '';
    for (const line of lines) {
      batch += line;
      if (batch.length >= BATCH_CHARS) {
        writeSync(fd, batch);
        batch = '';
      }
    }
    if (batch !== '') writeSync(fd, batch);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, file);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw new CliError('file-unreadable', `cannot write ${file}: ${errorCode(error)}`);
  }
}
