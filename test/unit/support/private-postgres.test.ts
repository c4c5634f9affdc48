import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { isConnectionFailure } from '../../../src/store/postgres/postgres-database.js';
import { freePort } from '../../support/gateway-process.js';
import { PrivatePostgres } from '../../support/private-postgres.js';

const clusters: PrivatePostgres[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.destroy()));
});

async function startCluster(options?: { port?: number }): Promise<PrivatePostgres> {
  const cluster = await PrivatePostgres.start(options);
  clusters.push(cluster);
  return cluster;
}

/** A client whose connection errors (the server cutting it) are collected, not thrown. */
async function connect(url: string): Promise<pg.Client & { errors: Error[] }> {
  const client = Object.assign(new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 }), { errors: [] as Error[] });
  client.on('error', (error) => client.errors.push(error));
  await client.connect();
  return client;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('PrivatePostgres', () => {
  it('starts a server of its own, keeps its data through a crash, cuts connections and leaves nothing behind', async () => {
    const cluster = await startCluster();
    expect(cluster.port).not.toBe(5432);
    expect(cluster.url).toBe(`postgres://postgres@127.0.0.1:${cluster.port}/gateway`);
    expect(existsSync(`${cluster.dataDir}/PG_VERSION`)).toBe(true);
    expect(existsSync(`${cluster.directory}/.s.PGSQL.${cluster.port}`)).toBe(true);

    const first = await connect(cluster.url);
    await first.query('CREATE TABLE notes (id int PRIMARY KEY, text text NOT NULL)');
    await first.query("INSERT INTO notes VALUES (1, 'kept through a crash')");
    const { rows: settings } = await first.query<{ fsync: string; listen: string }>(
      "SELECT current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen",
    );
    expect(settings).toEqual([{ fsync: 'off', listen: '127.0.0.1' }]);

    const port = cluster.port;
    const pid = cluster.pid as number;
    await cluster.kill();
    expect(cluster.running).toBe(false);
    expect(processRuns(pid)).toBe(false);
    await expect(first.query('SELECT 1')).rejects.toSatisfy(isConnectionFailure);
    await first.end().catch(() => undefined);

    await cluster.start();
    expect(cluster.port).toBe(port);
    const second = await connect(cluster.url);
    expect((await second.query('SELECT id, text FROM notes')).rows).toEqual([{ id: 1, text: 'kept through a crash' }]);

    await second.query('BEGIN');
    await second.query("INSERT INTO notes VALUES (2, 'never committed')");
    const observer = await connect(cluster.url);
    expect(await cluster.terminateConnections()).toBe(2);
    await expect(second.query('COMMIT')).rejects.toSatisfy(isConnectionFailure);
    await expect(observer.query('SELECT 1')).rejects.toSatisfy(isConnectionFailure);
    await Promise.all([second.end(), observer.end()].map((ending) => ending.catch(() => undefined)));

    const third = await connect(cluster.url);
    expect((await third.query('SELECT id FROM notes ORDER BY id')).rows).toEqual([{ id: 1 }]);
    await third.end();

    const serverPid = cluster.pid as number;
    await cluster.destroy();
    await cluster.destroy();
    expect(processRuns(serverPid)).toBe(false);
    expect(existsSync(cluster.directory)).toBe(false);
    await expect(connect(cluster.url)).rejects.toThrow(/ECONNREFUSED/);
    await expect(cluster.start()).rejects.toThrow(/destroyed/);
  });

  it('stops (fast or immediate) and restarts on the port it was given, with its data', async () => {
    const port = await freePort();
    const cluster = await startCluster({ port });
    expect(cluster.port).toBe(port);
    const client = await connect(cluster.url);
    await client.query('CREATE TABLE counts (n int)');
    await client.query('INSERT INTO counts VALUES (1)');
    await client.end();

    await cluster.restart();
    await cluster.stop('immediate');
    expect(cluster.running).toBe(false);
    await expect(connect(cluster.url)).rejects.toThrow(/ECONNREFUSED/);
    await cluster.stop();
    await cluster.start();
    await expect(cluster.start()).rejects.toThrow(/already running/);

    const again = await connect(cluster.url);
    expect((await again.query('SELECT n FROM counts')).rows).toEqual([{ n: 1 }]);
    expect(await cluster.terminateConnections('postgres')).toBe(0);
    await again.end();
    expect(cluster.startTimings.totalMs).toBeGreaterThan(0);
  });
});
