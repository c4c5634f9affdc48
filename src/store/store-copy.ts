import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'winston';
import { redactedDatabaseUrl } from '../config/app-config.js';
import { isSealed } from '../receipts/receipt-key-sealing.js';
import { isConnectionFailure } from './postgres/postgres-database.js';
import { STARTUP_LOCK } from './postgres/postgres-gateway-store.js';
import { migrate } from './postgres/postgres-migrations.js';
import { migrations as sqliteMigrations } from './sqlite/sqlite-migrations.js';

/**
 * Copies an embedded store (the SQLite file in DATA_DIR) into an empty PostgreSQL database, for a
 * gateway that moves to the shared store (`mra admin store copy`). This module knows both adapters'
 * schemas (sqlite-migrations.ts, postgres-migrations.ts); nothing in the domain does.
 *
 * - The source is read in one transaction while this process holds SQLite's exclusive lock on it, so
 *   the copy is consistent and a gateway running on the file is noticed (refused: stop it first). The
 *   connection is query-only: nothing is written to the file. (SQLite itself replays a WAL left by a
 *   gateway that did not stop cleanly, into the file, as that gateway's next start would.)
 * - The target is migrated, then everything is copied in one PostgreSQL transaction: all of it or
 *   nothing. A target that holds any gateway data is refused. Times go from ms to timestamptz; outbox
 *   and audit_log rows keep their seq, and both identity sequences continue after the copied ones.
 * - The relay's progress, one "confirmed through N" in SQLite, becomes one outbox_cursors row per
 *   administration: the highest seq of that administration up to N (0 when none), so exactly the
 *   records the embedded relay had not confirmed are published by the gateways on PostgreSQL.
 * - Receipt private keys are copied as stored (sealed under the key-encryption key the embedded
 *   gateway used, which the PostgreSQL gateways must then be given); admin token ids too, so a token
 *   used before the move stays refused after it.
 */

type PgType = 'text' | 'bigint' | 'timestamptz';

export interface ColumnCopy {
  name: string;
  /** The PostgreSQL type; timestamptz columns hold ms since the epoch in SQLite. */
  type: PgType;
}

export interface TableCopy {
  table: string;
  columns: readonly ColumnCopy[];
  /** Copy order (the primary key). */
  orderBy: string;
  /** An identity column whose values are kept (OVERRIDING SYSTEM VALUE) and whose sequence is moved past them. */
  identity?: string;
}

const text = (name: string): ColumnCopy => ({ name, type: 'text' });
const bigint = (name: string): ColumnCopy => ({ name, type: 'bigint' });
const time = (name: string): ColumnCopy => ({ name, type: 'timestamptz' });

/** Every table of both schemas that holds gateway data, in copy order, with every column of each. */
export const COPIED_TABLES: readonly TableCopy[] = [
  {
    table: 'partner_keys',
    columns: [text('administration'), text('kid'), text('jwk'), time('not_before'), time('not_after'), time('revoked_at'), text('revocation_reason'), time('added_at')],
    orderBy: 'administration, kid',
  },
  { table: 'receipt_keys', columns: [text('kid'), text('private_jwk'), text('public_jwk'), time('created_at'), time('retired_at')], orderBy: 'kid' },
  { table: 'arrangement_status', columns: [text('administration'), text('status'), text('reason'), time('changed_at'), text('changed_by')], orderBy: 'administration' },
  { table: 'admin_token_uses', columns: [text('kid'), text('jti'), time('expires_at')], orderBy: 'kid, jti' },
  {
    table: 'audit_log',
    columns: [
      bigint('seq'),
      time('at'),
      text('actor_kid'),
      text('actor_sub'),
      text('action'),
      text('administration'),
      text('kid'),
      text('before'),
      text('after'),
      text('reason'),
      text('request_id'),
    ],
    orderBy: 'seq',
    identity: 'seq',
  },
  {
    table: 'accepted_messages',
    columns: [
      text('administration'),
      text('message_id'),
      text('digest'),
      text('payload_digest'),
      text('kind'),
      bigint('sequence'),
      text('issued_at'),
      text('received_at'),
      text('kid'),
      text('receipt'),
    ],
    orderBy: 'administration, message_id',
  },
  { table: 'administration_cursors', columns: [text('administration'), bigint('last_sequence'), text('last_snapshot_issued_at')], orderBy: 'administration' },
  {
    table: 'snapshot_marks',
    columns: [text('administration'), text('message_id'), text('members_digest'), bigint('members_length'), text('rules_digest'), text('received_at')],
    orderBy: 'administration',
  },
  {
    table: 'members',
    columns: [
      text('administration'),
      text('member_id'),
      text('fingerprint'),
      text('member'),
      bigint('version'),
      text('removed_at'),
      text('id_scheme'),
      text('status'),
      bigint('recognized'),
      text('country'),
      text('roles'),
    ],
    orderBy: 'administration, member_id',
  },
  { table: 'member_lookups', columns: [text('administration'), text('member_id'), text('kind'), text('value')], orderBy: 'administration, member_id, kind, value' },
  {
    table: 'member_versions',
    columns: [text('administration'), text('member_id'), bigint('version'), text('change'), text('received_at'), text('message_id'), text('record')],
    orderBy: 'administration, member_id, version',
  },
  {
    table: 'submission_log',
    columns: [
      text('id'),
      time('received_at'),
      text('administration'),
      text('message_id'),
      text('kid'),
      text('kind'),
      bigint('sequence'),
      text('issued_at'),
      text('outcome'),
      bigint('status'),
      text('problem'),
      text('problem_detail'),
      text('errors'),
      bigint('error_count'),
      text('counts'),
      bigint('warnings'),
      text('digest'),
      text('payload_digest'),
      bigint('size'),
      bigint('duration_us'),
      text('request_id'),
      text('receipt'),
    ],
    orderBy: 'id',
  },
  {
    table: 'outbox',
    columns: [
      bigint('seq'),
      text('event_id'),
      text('administration'),
      text('member_key'),
      text('change'),
      text('routing_key'),
      text('occurred_at'),
      text('body'),
      time('created_at'),
    ],
    orderBy: 'seq',
    identity: 'seq',
  },
];

/** The embedded relay's single cursor; PostgreSQL keeps one per administration (outbox_cursors). */
const SQLITE_CURSOR_TABLE = 'outbox_cursor';
const POSTGRES_CURSOR_TABLE = 'outbox_cursors';

/** Tables whose rows are gateway data: a target with a row in any of them is refused. */
export const GATEWAY_DATA_TABLES: readonly string[] = [...COPIED_TABLES.map((t) => t.table), POSTGRES_CURSOR_TABLE];

/**
 * PostgreSQL tables without gateway data, neither copied nor checked: the schema's own, and what the
 * instances coordinate through (relay lease, shared-state version, live instances, rate-limit windows).
 */
export const POSTGRES_COORDINATION_TABLES: readonly string[] = ['schema_migrations', 'relay_lease', 'shared_state', 'gateway_instances', 'mra_rate_limits'];

/** The tables of the embedded schema this copy reads. */
export const EMBEDDED_TABLES: readonly string[] = [...COPIED_TABLES.map((t) => t.table), SQLITE_CURSOR_TABLE];

/**
 * Embedded tables about the schema rather than gateway data, not copied: the migrations applied, and
 * the mark of migration 5 that receipt keys are sealed from then on (the target's own migrations stand
 * for both). SQLite's own tables (sqlite_sequence) are not listed: they are never a gateway's.
 */
export const EMBEDDED_SCHEMA_TABLES: readonly string[] = ['schema_migrations', 'receipt_key_sealing'];


/** Rows per INSERT, and the text they may carry at most (members and records are about 1 KB each). */
const BATCH_ROWS = 1000;
const BATCH_CHARS = 8 * 1024 * 1024;

/** How long the copy waits for a lock on the target's tables before it gives up (someone uses them). */
const LOCK_TIMEOUT = '10s';

/** Why a copy was refused, or could not be made; nothing was copied in any case. */
export type StoreCopyFailure =
  /** --to is not a postgres:// URL naming a database. */
  | 'usage'
  /** --from names no embedded store. */
  | 'source-missing'
  /** The source cannot be read, is not an embedded gateway store, or has a schema this version does not copy. */
  | 'source-invalid'
  /** A process (a gateway) has the source open. */
  | 'source-in-use'
  /** The PostgreSQL server does not answer. */
  | 'target-unreachable'
  /** The server refused the connection (login, no such database, no privilege) or the schema (a newer gateway's). */
  | 'target-refused'
  /** The target already holds gateway data. */
  | 'target-not-empty'
  /** The target's tables stayed locked by someone else. */
  | 'target-in-use';

export class StoreCopyError extends Error {
  constructor(
    readonly failure: StoreCopyFailure,
    message: string,
  ) {
    super(message);
    this.name = 'StoreCopyError';
  }
}

export interface StoreCopyOptions {
  /** The embedded store's DATA_DIR (gateway.db in it), or the database file itself (e.g. a backup). */
  from: string;
  /** The PostgreSQL database URL. */
  to: string;
  /** For the target's migration (which logs at info); the copy itself logs nothing. */
  logger: Logger;
}

export interface StoreCopyResult {
  /** The SQLite file copied. */
  from: string;
  /** The target, without its password. */
  to: string;
  /** Rows written to each PostgreSQL table. */
  tables: Record<string, number>;
  outbox: {
    /** The embedded relay's cursor: every record up to this seq was confirmed by the broker. */
    publishedThrough: number;
    /** Per administration: the cursor written, and the records beyond it that gateways will publish. */
    cursors: Record<string, { publishedThrough: number; pending: number }>;
    /** Where the outbox identity sequence continues (the next record's seq). */
    nextSeq: number;
  };
  /** How the receipt private keys are kept: the ids of the key-encryption keys they are sealed under, and how many are not sealed. */
  receiptKeys: { sealedUnder: string[]; unsealed: number };
  /** What the caller should know (e.g. that no check for a running gateway was possible). */
  warnings: string[];
}

/** The embedded store's file for --from: DATA_DIR/gateway.db, or the file named. */
export function embeddedStoreFile(from: string): string {
  const resolved = path.resolve(from);
  return existsSync(resolved) && statSync(resolved).isDirectory() ? path.join(resolved, 'gateway.db') : resolved;
}

/** Copies the embedded store at `from` into the empty PostgreSQL database at `to`; see the module comment. */
export async function copyEmbeddedStore(options: StoreCopyOptions): Promise<StoreCopyResult> {
  const target = checkedTargetUrl(options.to);
  const file = embeddedStoreFile(options.from);
  const warnings: string[] = [];
  const source = openSource(file, warnings);
  try {
    const publishedThrough = checkSourceSchema(source, file);
    const client = await connectTarget(options.to, target);
    try {
      // Before migrating, so that a database refused (a gateway's, of an older version say) keeps its schema too.
      await refuseIfHoldingData(client, target);
      await migrateTarget(client, options.logger, target);
      return await copyInto(client, source, { file, target, publishedThrough, warnings });
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    closeSource(source);
  }
}

function checkedTargetUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StoreCopyError('usage', `the target "${value}" is not a URL: give postgres://user@host:port/database`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new StoreCopyError('usage', `the target's scheme must be postgres or postgresql, not ${url.protocol}`);
  if (url.pathname.length <= 1) throw new StoreCopyError('usage', 'the target URL must name a database (postgres://host/<database>)');
  return redactedDatabaseUrl(value);
}

// --- The source: the SQLite file -------------------------------------------------------------------

function openSource(file: string, warnings: string[]): Database.Database {
  if (!existsSync(file)) {
    throw new StoreCopyError('source-missing', `${file} does not exist: --from names an embedded store's DATA_DIR (holding gateway.db) or its database file`);
  }
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 0 });
  } catch (error) {
    return openReadOnly(file, warnings, error);
  }
  try {
    // Exclusive locking: the lock BEGIN EXCLUSIVE takes is kept until the connection closes, and no
    // other connection, in this process or another, may have the file open meanwhile.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.pragma('query_only = ON');
    return db;
  } catch (error) {
    db.close();
    const code = sqliteCode(error);
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new StoreCopyError('source-in-use', `${file} is in use, most likely by a gateway running on it: stop that gateway, then copy (nothing was copied)`);
    }
    if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') return openReadOnly(file, warnings, error);
    throw unreadable(file, error);
  }
}

/** No write access to the file or its folder: read it in a plain read transaction, unchecked for a running gateway. */
function openReadOnly(file: string, warnings: string[], cause: unknown): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.exec('BEGIN');
    warnings.push(`${file} was opened read-only (${errorText(cause)}): make sure no gateway runs on it; the copy is consistent all the same`);
    return db;
  } catch (error) {
    db?.close();
    throw unreadable(file, error);
  }
}

function closeSource(db: Database.Database): void {
  try {
    if (db.inTransaction) db.exec('ROLLBACK');
  } finally {
    db.close();
  }
}

/** Checks that the file is an embedded store of exactly the schema this version copies; returns the relay's cursor. */
function checkSourceSchema(db: Database.Database, file: string): number {
  let applied: number;
  let tables: string[];
  try {
    tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
    if (!tables.includes('schema_migrations')) throw new StoreCopyError('source-invalid', `${file} is not a gateway's embedded store (it has no schema_migrations table)`);
    applied = db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get() as number;
  } catch (error) {
    if (error instanceof StoreCopyError) throw error;
    throw unreadable(file, error);
  }
  const known = sqliteMigrations.length;
  if (applied < known) {
    throw new StoreCopyError(
      'source-invalid',
      `${file} has ${applied} of the ${known} migrations this version knows: start this version's gateway on it once (it migrates the store at start-up), stop it, then copy`,
    );
  }
  if (applied > known) throw new StoreCopyError('source-invalid', `${file} has ${applied} migrations, this version knows ${known}: copy it with the mra of the gateway version that last ran on it`);
  const present = tables.filter((t) => !EMBEDDED_SCHEMA_TABLES.includes(t));
  const unknown = present.filter((t) => !EMBEDDED_TABLES.includes(t));
  const missing = EMBEDDED_TABLES.filter((t) => !present.includes(t));
  if (unknown.length > 0 || missing.length > 0) {
    throw new StoreCopyError('source-invalid', `${file} does not have the tables this version copies (${describeDifference(unknown, missing)}); nothing was copied`);
  }
  for (const { table, columns } of COPIED_TABLES) {
    const actual = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[];
    const expected = columns.map((c) => c.name);
    const extra = actual.filter((c) => !expected.includes(c));
    const absent = expected.filter((c) => !actual.includes(c));
    if (extra.length > 0 || absent.length > 0) {
      throw new StoreCopyError('source-invalid', `${file}: table ${table} does not have the columns this version copies (${describeDifference(extra, absent)}); nothing was copied`);
    }
  }
  const cursor = db.prepare(`SELECT published_through FROM ${SQLITE_CURSOR_TABLE} WHERE id = 1`).pluck().get() as number | undefined;
  if (typeof cursor !== 'number') throw new StoreCopyError('source-invalid', `${file} has no outbox cursor row (${SQLITE_CURSOR_TABLE}, id 1)`);
  return cursor;
}

function describeDifference(unknown: readonly string[], missing: readonly string[]): string {
  return [unknown.length > 0 ? `unknown: ${unknown.join(', ')}` : '', missing.length > 0 ? `missing: ${missing.join(', ')}` : ''].filter((s) => s !== '').join('; ');
}

/** The highest value SQLite's AUTOINCREMENT ever gave `table` (rows pruned since count too): never reused. */
function autoincrementHigh(db: Database.Database, table: string): number {
  const value = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(table) as number | undefined;
  return typeof value === 'number' ? value : 0;
}

function unreadable(file: string, error: unknown): StoreCopyError {
  const code = sqliteCode(error);
  if (code === 'SQLITE_NOTADB') return new StoreCopyError('source-invalid', `${file} is not a SQLite database`);
  return new StoreCopyError('source-invalid', `${file} cannot be read: ${errorText(error)}`);
}

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

// --- The target: PostgreSQL ------------------------------------------------------------------------

async function connectTarget(url: string, redacted: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'mra-store-copy', connectionTimeoutMillis: 10_000 });
  // A connection lost mid-copy fails the query in progress; this keeps it from also being thrown unhandled.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw targetFailure(error, redacted);
  }
  return client;
}

async function migrateTarget(client: pg.Client, logger: Logger, redacted: string): Promise<void> {
  try {
    await migrate(client, logger);
  } catch (error) {
    if (isPostgresError(error) || isConnectionFailure(error)) throw targetFailure(error, redacted);
    // The schema there was made by a newer gateway (checkCompatible says which).
    throw new StoreCopyError('target-refused', `${redacted}: ${errorText(error)}`);
  }
}

function targetFailure(error: unknown, redacted: string): StoreCopyError {
  if (isConnectionFailure(error)) return new StoreCopyError('target-unreachable', `${redacted} does not answer: ${errorText(error)}`);
  if (isPostgresError(error)) return new StoreCopyError('target-refused', `${redacted} refused: ${errorText(error)}`);
  return new StoreCopyError('target-unreachable', `${redacted} cannot be reached: ${errorText(error)}`);
}

function isPostgresError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

interface CopyContext {
  file: string;
  target: string;
  publishedThrough: number;
  warnings: string[];
}

async function copyInto(client: pg.Client, db: Database.Database, context: CopyContext): Promise<StoreCopyResult> {
  const { target, publishedThrough } = context;
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    await lockTarget(client, target);
    await refuseIfNotEmpty(client, target, GATEWAY_DATA_TABLES);

    const tables: Record<string, number> = {};
    const highest: Record<string, number> = {};
    for (const table of COPIED_TABLES) {
      const copied = await copyTable(client, db, table);
      tables[table.table] = copied.rows;
      highest[table.table] = copied.highest;
    }

    // Identity sequences continue after every value SQLite ever gave (setval: the next value is one more).
    let nextSeq = 1;
    for (const table of COPIED_TABLES.filter((t) => t.identity !== undefined)) {
      const high = Math.max(highest[table.table] ?? 0, autoincrementHigh(db, table.table));
      if (high > 0) await client.query('SELECT setval(pg_get_serial_sequence($1, $2), $3)', [table.table, table.identity, high]);
      if (table.table === 'outbox') nextSeq = high + 1;
    }

    // Every administration with a message or a record gets its cursor row, as the intake writes it.
    const { rows: cursors } = await client.query<{ administration: string; published_through: string; pending: string }>(
      `WITH written AS (
         INSERT INTO outbox_cursors (administration, published_through)
         SELECT a.administration, COALESCE((SELECT MAX(o.seq) FROM outbox o WHERE o.administration = a.administration AND o.seq <= $1), 0)
         FROM (SELECT administration FROM outbox UNION SELECT administration FROM accepted_messages UNION SELECT administration FROM administration_cursors) a
         RETURNING administration, published_through
       )
       SELECT w.administration, w.published_through,
              (SELECT COUNT(*) FROM outbox o WHERE o.administration = w.administration AND o.seq > w.published_through) AS pending
       FROM written w ORDER BY w.administration`,
      [publishedThrough],
    );
    tables[POSTGRES_CURSOR_TABLE] = cursors.length;

    const receiptKeys = await receiptKeyForms(client);
    await client.query('COMMIT');
    return {
      from: context.file,
      to: target,
      tables,
      outbox: {
        publishedThrough,
        cursors: Object.fromEntries(cursors.map((c) => [c.administration, { publishedThrough: Number(c.published_through), pending: Number(c.pending) }])),
        nextSeq,
      },
      receiptKeys,
      warnings: context.warnings,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof StoreCopyError) throw error;
    if (isConnectionFailure(error)) throw new StoreCopyError('target-unreachable', `${target} went away during the copy: ${errorText(error)}; nothing was copied`);
    throw error;
  }
}

/**
 * Keeps every gateway on the target out until the copy commits: one starting waits for the start-up
 * lock, one running cannot write a table (plain reads go on).
 */
async function lockTarget(client: pg.Client, target: string): Promise<void> {
  try {
    // The gateways' start-up lock, held through the copy: a gateway starting on the target meanwhile
    // waits for it, then finds the copied receipt keys instead of creating its own.
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [STARTUP_LOCK]);
    await client.query(`LOCK TABLE ${GATEWAY_DATA_TABLES.join(', ')} IN EXCLUSIVE MODE`);
  } catch (error) {
    if ((error as { code?: unknown }).code === '55P03') {
      throw new StoreCopyError('target-in-use', `${target} is in use (its tables stayed locked for ${LOCK_TIMEOUT}): stop the gateways on it, then copy into an empty database; nothing was copied`);
    }
    throw error;
  }
}

/** Refuses a target with gateway data in any of the tables it has already (none in a new database). */
async function refuseIfHoldingData(client: pg.Client, target: string): Promise<void> {
  try {
    const { rows } = await client.query<{ name: string }>('SELECT t AS name FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL', [GATEWAY_DATA_TABLES]);
    await refuseIfNotEmpty(
      client,
      target,
      rows.map((r) => r.name),
    );
  } catch (error) {
    if (error instanceof StoreCopyError) throw error;
    throw targetFailure(error, target);
  }
}

async function refuseIfNotEmpty(client: pg.Client, target: string, tables: readonly string[]): Promise<void> {
  if (tables.length === 0) return;
  const { rows } = await client.query<Record<string, boolean>>(`SELECT ${tables.map((t) => `EXISTS (SELECT 1 FROM ${t}) AS ${t}`).join(', ')}`);
  const holding = tables.filter((t) => rows[0]?.[t] === true);
  if (holding.length > 0) {
    throw new StoreCopyError(
      'target-not-empty',
      `${target} already holds gateway data (rows in ${holding.join(', ')}): the copy goes into an empty database only, and nothing was copied. Create a new database (createdb) and copy into that.`,
    );
  }
}

/** Copies one table in batches, streaming the SQLite rows; returns the rows written and the highest identity value. */
async function copyTable(client: pg.Client, db: Database.Database, table: TableCopy): Promise<{ rows: number; highest: number }> {
  const names = table.columns.map((c) => c.name);
  const insert = `INSERT INTO ${table.table} (${names.join(', ')})${table.identity ? ' OVERRIDING SYSTEM VALUE' : ''}
    SELECT * FROM unnest(${table.columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`;
  const identityIndex = table.identity === undefined ? -1 : names.indexOf(table.identity);
  const select = db.prepare(`SELECT ${names.join(', ')} FROM ${table.table} ORDER BY ${table.orderBy}`).raw();
  let batch: unknown[][] = table.columns.map(() => []);
  let batchRows = 0;
  let batchChars = 0;
  let rows = 0;
  let highest = 0;
  const flush = async () => {
    if (batchRows === 0) return;
    await client.query(insert, batch);
    batch = table.columns.map(() => []);
    batchRows = 0;
    batchChars = 0;
  };
  for (const row of select.iterate() as IterableIterator<unknown[]>) {
    table.columns.forEach((column, i) => {
      const value = converted(row[i], column, table.table);
      if (typeof value === 'string') batchChars += value.length;
      batch[i]!.push(value);
    });
    if (identityIndex >= 0) highest = Math.max(highest, row[identityIndex] as number);
    batchRows++;
    rows++;
    if (batchRows >= BATCH_ROWS || batchChars >= BATCH_CHARS) await flush();
  }
  await flush();
  return { rows, highest };
}

/** A SQLite value as PostgreSQL takes it: ms → an exact RFC 3339 instant, a blob (older outbox bodies) → its UTF-8 text. */
function converted(value: unknown, column: ColumnCopy, table: string): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'timestamptz': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new StoreCopyError('source-invalid', `${table}.${column.name} holds ${JSON.stringify(value)}, not a time in ms; nothing was copied`);
      return new Date(value).toISOString();
    }
    case 'bigint':
      return value;
    case 'text':
      if (Buffer.isBuffer(value)) return value.toString('utf8');
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
      throw new StoreCopyError('source-invalid', `${table}.${column.name} holds a value that is not text; nothing was copied`);
  }
}

async function receiptKeyForms(client: pg.Client): Promise<StoreCopyResult['receiptKeys']> {
  const { rows } = await client.query<{ private_jwk: string }>('SELECT private_jwk FROM receipt_keys');
  const sealedUnder = new Set<string>();
  let unsealed = 0;
  for (const row of rows) {
    let value: unknown;
    try {
      value = JSON.parse(row.private_jwk);
    } catch {
      value = undefined;
    }
    if (isSealed(value)) sealedUnder.add(value.kek);
    else unsealed++;
  }
  return { sealedUnder: [...sealedUnder].sort(), unsealed };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
