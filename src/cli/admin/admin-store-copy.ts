import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import { GENERATED_KEK_FILE } from '../../receipts/key-encryption-key.js';
import type { StoreCopyFailure, StoreCopyResult } from '../../store/store-copy.js';
import { CliError, type CliErrorCode } from '../cli-error.js';
import type { CommandSpec } from './admin-commands.js';

/** What each refusal of the copy is, as the exit-code table has it. */
const FAILURE_CODES: Record<StoreCopyFailure, CliErrorCode> = {
  usage: 'usage',
  'source-missing': 'file-unreadable',
  'source-invalid': 'invalid-file',
  'source-in-use': 'store-in-use',
  'target-unreachable': 'unreachable',
  'target-refused': 'refused',
  'target-not-empty': 'store-not-empty',
  'target-in-use': 'store-in-use',
};

/** `mra admin store copy`: the embedded store into an empty PostgreSQL database (logic in store/store-copy.ts). */
export const storeCopyCommand: CommandSpec = {
  name: 'store copy',
  summary: 'copy an embedded (SQLite) store into an empty PostgreSQL database',
  help: `Moves a gateway from its embedded store (DATA_DIR/gateway.db) to PostgreSQL (DATABASE_URL). Stop
the gateway first: a store in use is refused (exit code 3). --to is migrated, then everything is
copied in one transaction, all or nothing: accepted messages (replays keep their receipts), members,
partner and receipt keys, arrangement statuses, the audit log, used admin token ids, and the outbox
with the relay's progress, so the records the embedded gateway had not published yet are published by
the gateways on PostgreSQL, and no others. A --to that already holds gateway data is refused (exit
code 3) and left as it is. Prints the rows copied per table.

Receipt private keys are copied as stored, sealed under the embedded gateway's key-encryption key:
start the gateways on PostgreSQL with that key (RECEIPT_KEY_ENCRYPTION_KEY_FILE or
RECEIPT_KEY_ENCRYPTION_KEY; when the embedded gateway had neither set, its key is the file
DATA_DIR/${GENERATED_KEK_FILE}). Then set DATABASE_URL and start them. The SQLite file is not
changed: keep it until the gateways on PostgreSQL work.`,
  arguments: [],
  options: [
    { flags: '--from <dir>', description: "the embedded store: the gateway's DATA_DIR (or its gateway.db file) (required)", required: true },
    { flags: '--to <url>', description: 'the PostgreSQL database, postgres://user:password@host:5432/name (required; an existing database without gateway data)', required: true },
  ],
  remote: false,
  run: async ({ options, note }) => {
    const from = typeof options.from === 'string' ? options.from : '';
    const to = typeof options.to === 'string' ? options.to : '';
    const { copyEmbeddedStore, StoreCopyError } = await import('../../store/store-copy.js');
    let result: StoreCopyResult;
    try {
      result = await copyEmbeddedStore({ from, to, logger: winston.createLogger({ silent: true }) });
    } catch (error) {
      if (error instanceof StoreCopyError) throw new CliError(FAILURE_CODES[error.failure], error.message);
      throw error;
    }
    for (const warning of result.warnings) note(`warning: ${warning}`);
    const pending = Object.values(result.outbox.cursors).reduce((sum, c) => sum + c.pending, 0);
    const rows = Object.values(result.tables).reduce((sum, n) => sum + n, 0);
    note(`copied ${rows} rows from ${result.from} to ${result.to}; ${pending} outbox record(s) not yet published will be published by the gateways on PostgreSQL`);
    note(keyEncryptionNote(from, result));
    return result;
  },
};

function keyEncryptionNote(from: string, result: StoreCopyResult): string {
  const { sealedUnder, unsealed } = result.receiptKeys;
  const dataDirKek = path.join(path.resolve(from), GENERATED_KEK_FILE);
  const fromDataDir = existsSync(path.resolve(from)) && statSync(path.resolve(from)).isDirectory() && existsSync(dataDirKek);
  const parts: string[] = [];
  if (sealedUnder.length > 0) parts.push(`the receipt keys are sealed under key-encryption key ${sealedUnder.join(', ')}: give the gateways on PostgreSQL that key`);
  if (unsealed > 0) parts.push(`${unsealed} receipt key(s) are not sealed yet: the first gateway to start seals them under its key-encryption key`);
  if (fromDataDir) parts.push(`the embedded gateway's own key is ${dataDirKek} (set RECEIPT_KEY_ENCRYPTION_KEY_FILE to a copy of it, kept apart from the data)`);
  return parts.length > 0 ? parts.join('; ') : 'no receipt keys were copied: the first gateway to start creates one';
}
