#!/usr/bin/env node
import { runEntry } from './run-entry.js';

// npm bin `mra-partner`: short for `mra partner` (the same subcommands, options and exit codes).
runEntry(['partner']);
