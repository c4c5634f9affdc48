#!/usr/bin/env node
import { runAdminTool } from './admin/admin-tool.js';

// The administrators' tool (npm bin `mra-admin`); everything it does is in ./admin/, testable without a process.
runAdminTool(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mra-admin: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
