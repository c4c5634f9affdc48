import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { atProcessExit, postgresBinDir } from './private-postgres.js';

/** The machine's shared PostgreSQL server (TEST_POSTGRES_URL overrides it); tests there never stop it. */
export const SHARED_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** What to run when the shared server is down. */
export const SHARED_POSTGRES_START_COMMAND = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

export interface TestDatabase {
  /** The database's URL: SHARED_POSTGRES_URL with its name as the path. */
  url: string;
  name: string;
  /** Drops it, cutting any connection still open (WITH (FORCE)). Safe to call more than once. */
  drop(): Promise<void>;
}

/**
 * A database of one test's own on the shared server, named `<prefix>_<time>_<random>` so test files
 * running in parallel never meet. Call drop() when done; a database the test process leaves behind is
 * dropped as it exits. Fails, never skips, when the shared server does not answer.
 */
export async function createTestDatabase(prefix = 'mra_test', options: { icuLocale?: string } = {}): Promise<TestDatabase> {
  if (!/^[a-z_][a-z0-9_]{0,39}$/.test(prefix)) throw new Error(`database name prefix "${prefix}" is not 1 to 40 of a-z, 0-9 and _`);
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withSharedClient(async (client) => {
    // CREATE DATABASE fails while another session is connected to template1; that passes.
    for (let attempt = 1; ; attempt++) {
      try {
        // An ICU locale (en-US, say) gives the database a linguistic default collation, as production servers often have.
        const locale = options.icuLocale === undefined ? '' : ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${options.icuLocale.replace(/[^A-Za-z-]/g, '')}'`;
        await client.query(`CREATE DATABASE "${name}"${locale}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt === 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
  const forgetExitDrop = atProcessExit(() => dropAtExit(name));
  const url = new URL(SHARED_POSTGRES_URL);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  return {
    url: url.toString(),
    name,
    drop() {
      dropping ??= withSharedClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => forgetExitDrop(),
        (error: unknown) => {
          dropping = undefined;
          throw error;
        },
      );
      return dropping;
    },
  };
}

async function withSharedClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SHARED_POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new Error(
      `the shared PostgreSQL server at ${SHARED_POSTGRES_URL} does not answer (${error instanceof Error ? error.message : String(error)}); ` +
        `start it: ${SHARED_POSTGRES_START_COMMAND}`,
      { cause: error },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The exit hook's drop: synchronous, so with psql. */
function dropAtExit(name: string): void {
  let psql = 'psql';
  try {
    psql = path.join(postgresBinDir(), 'psql');
  } catch {
    // psql from PATH.
  }
  spawnSync(psql, ['-X', '-q', '-d', SHARED_POSTGRES_URL, '-c', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`], {
    stdio: 'ignore',
    timeout: 10_000,
    env: { ...process.env, PGCONNECT_TIMEOUT: '3' },
  });
}
