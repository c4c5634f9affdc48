#!/usr/bin/env node
import { runPartnerTool } from './partner/partner-commands.js';

// The partner tool (npm bin `mra-partner`); everything it does is in ./partner/, testable without a process.
// A closed pipe (`| head`) is not a crash: write callbacks see the error (the consumer then stops without acking).
process.stdout.on('error', () => undefined);
runPartnerTool(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mra-partner: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
