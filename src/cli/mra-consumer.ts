#!/usr/bin/env node
import { runEntry } from './run-entry.js';

// npm bin `mra-consumer`: short for `mra consumer` (the same subcommands, options and exit codes).
runEntry(['consumer']);
