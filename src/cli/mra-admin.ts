#!/usr/bin/env node
import { runEntry } from './run-entry.js';

// npm bin `mra-admin`: short for `mra admin` (the same subcommands, options and exit codes).
runEntry(['admin']);
