import { Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/cli-io.js';

/** A CliIo whose output a test can read; `onStdout` is told of every chunk written to stdout. */
export function captureIo(onStdout?: (text: string) => void): CliIo & { out(): string; err(): string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[], onWrite?: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        into.push(Buffer.from(chunk));
        onWrite?.(chunk.toString('utf8'));
        done();
      },
    });
  return {
    stdout: sink(out, onStdout),
    stderr: sink(err),
    out: () => Buffer.concat(out).toString('utf8'),
    err: () => Buffer.concat(err).toString('utf8'),
  };
}
