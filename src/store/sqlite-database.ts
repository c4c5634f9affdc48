import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AsyncMutex } from './async-mutex.js';
import { migrations } from './sqlite-migrations.js';

/**
 * The embedded store: one SQLite file in DATA_DIR, in WAL mode with full fsync on commit, because a
 * receipt promises that the message and its records are on disk. All access takes turns through one
 * mutex (see AsyncMutex for why).
 */
export class SqliteDatabase {
  readonly db: Database.Database;
  private readonly mutex = new AsyncMutex();

  private constructor(db: Database.Database) {
    this.db = db;
  }

  static open(dataDir: string): SqliteDatabase {
    mkdirSync(dataDir, { recursive: true });
    const db = new Database(path.join(dataDir, 'gateway.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const store = new SqliteDatabase(db);
    store.migrate();
    return store;
  }

  /** Runs `work` alone on the connection, outside any transaction. */
  exclusive<T>(work: () => T): Promise<T> {
    return this.mutex.run(work);
  }

  /** Runs `work` alone on the connection inside one write transaction; commits when it resolves. */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work();
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
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
    await this.mutex.run(() => this.db.close());
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const applied = (this.db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n;
    if (applied > migrations.length) {
      throw new Error(`The store in this DATA_DIR has ${applied} migrations; this gateway knows ${migrations.length}. Run a newer gateway.`);
    }
    const apply = this.db.transaction(() => {
      migrations.slice(applied).forEach((sql, i) => {
        this.db.exec(sql);
        this.db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(applied + i + 1, new Date().toISOString());
      });
    });
    apply();
  }
}
