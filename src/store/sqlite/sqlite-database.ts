import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AsyncMutex } from './async-mutex.js';
import { CommitGroups } from './commit-groups.js';
import { checkCompatible, oldestCompatibleAfter } from '../migration.js';
import { migrations } from './sqlite-migrations.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import { WalDurability } from './wal-durability.js';

/** Where this connection checkpoints by itself if the checkpoint thread fails: every ~160 MB of WAL (16 KiB pages). */
const AUTOCHECKPOINT_PAGES = 10_000;

/**
 * The embedded store: one SQLite file in DATA_DIR, in WAL mode. A receipt promises that the message
 * and its records are on disk, so `transaction` resolves only once its commit is durable (see
 * WalDurability: the fsync happens off the event loop and is shared by concurrent commits). All
 * access takes turns through one mutex (see AsyncMutex for why).
 */
export class SqliteDatabase {
  readonly db: Database.Database;
  private readonly mutex = new AsyncMutex();
  private readonly durability: WalDurability;
  private readonly checkpointer: WalCheckpointer;
  private readonly groups: CommitGroups;

  private constructor(db: Database.Database, file: string) {
    this.db = db;
    this.durability = WalDurability.open(`${file}-wal`);
    // Checkpoints run on their own thread (see WalCheckpointer); should it fail, this connection takes them over.
    db.pragma('wal_autocheckpoint = 0');
    this.checkpointer = WalCheckpointer.start(file, () => db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`));
    this.groups = new CommitGroups(
      db,
      this.mutex,
      () => {
        this.checkpointer.nudge();
        return this.durability.committedNow();
      },
      (generation) => this.durability.durable(generation),
    );
  }

  static open(dataDir: string): SqliteDatabase {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, 'gateway.db');
    const db = new Database(file);
    // 16 KiB pages instead of 4 KiB for a new store: a record is about 1 KB, and a 50,000-member
    // snapshot commits some 90 MB, which then takes a quarter of the WAL frames and write calls. It
    // must be set before the first table exists; an existing store keeps the page size it has.
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -65536');
    migrate(db);
    // Everything so far goes into the database file (synced), leaving an empty WAL file in place.
    db.pragma('wal_checkpoint(TRUNCATE)');
    return new SqliteDatabase(db, file);
  }

  /** Runs `work` alone on the connection, outside any transaction. */
  exclusive<T>(work: () => T): Promise<T> {
    return this.mutex.run(work);
  }

  /**
   * Runs `work` alone on the connection as one write transaction: what it writes commits when it
   * resolves, and nothing of it when it throws. Resolves only once the commit is on disk. Writes that
   * wait for the connection meanwhile commit together (see CommitGroups).
   */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.groups.write(work, true);
  }

  /**
   * A small write that commits with the next group and resolves once committed, without waiting for the
   * disk: for what may be lost in the moment before the next fsync (a log entry, the relay's cursor).
   */
  write<T>(work: () => T): Promise<T> {
    return this.groups.write(async () => work(), false);
  }

  /** Whether the store answers and can write (for readiness). */
  async isWritable(): Promise<boolean> {
    try {
      return await this.exclusive(() => {
        this.db.prepare('CREATE TEMP TABLE IF NOT EXISTS write_probe (x)').run();
        this.db.prepare('DELETE FROM write_probe').run();
        return true;
      });
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.checkpointer.stop();
    await this.mutex.run(() => {
      this.db.close();
      this.durability.close();
    });
  }
}

/**
 * Applies the migrations this database has not seen yet, all in one transaction. Each applied step
 * records the oldest gateway that still runs on the schema after it (stores from before that column
 * get it filled in from the list), so an older gateway starts on a store a newer one expanded.
 */
function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, oldest_compatible INTEGER)');
  const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('schema_migrations') as string[];
  if (!columns.includes('oldest_compatible')) db.exec('ALTER TABLE schema_migrations ADD COLUMN oldest_compatible INTEGER');
  const applied = (db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n;
  const storeOldest = (db.prepare('SELECT COALESCE(MAX(oldest_compatible), 0) FROM schema_migrations').pluck().get() as number) || oldestCompatibleAfter(migrations, Math.min(applied, migrations.length));
  checkCompatible(applied, storeOldest, migrations.length, 'this DATA_DIR');
  const apply = db.transaction(() => {
    for (let version = applied + 1; version <= migrations.length; version++) {
      db.exec(migrations[version - 1]!.sql);
      migrations[version - 1]!.backfill?.(db);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, new Date().toISOString());
    }
    // Rows written before the column existed, or by a version that does not fill it in.
    const fill = db.prepare('UPDATE schema_migrations SET oldest_compatible = ? WHERE version = ? AND oldest_compatible IS NULL');
    for (let version = 1; version <= Math.min(migrations.length, Math.max(applied, migrations.length)); version++) fill.run(oldestCompatibleAfter(migrations, version), version);
  });
  apply();
}
