import { runMra } from './mra-program.js';

/**
 * Runs `mra` as a process: the words after the program name, prefixed by `prefix` for the short names
 * (mra-partner is mra partner). Ctrl-C and SIGTERM stop a consumer cleanly (what was delivered but not
 * printed goes back to the queue). A closed pipe (`| head`) is not a crash: write callbacks see the error.
 */
export function runEntry(prefix: readonly string[]): void {
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  runMra([...prefix, ...process.argv.slice(2)], { stdout: process.stdout, stderr: process.stderr }, process.env, stop.signal).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`mra: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
