#!/usr/bin/env node
import { runEntry } from './run-entry.js';

// The mra command (npm bin `mra`): partner, admin and consumer subcommands; see ./mra-program.ts.
runEntry([]);
