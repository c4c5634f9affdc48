#!/usr/bin/env node
import { runConsumerTool } from './consumer/consumer-commands.js';

// The consumer tool (npm bin `mra-consumer`); everything it does is in ./consumer/, testable without a process.
// A closed pipe (`| head`) is not a crash: write callbacks see the error (the consumer then stops without acking).
process.stdout.on('error', () => undefined);
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
runConsumerTool(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, process.env, stop.signal).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mra-consumer: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
