import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './gateway-process.js';

/**
 * A PostgreSQL server of one test's own, for tests that stop, crash or restart the database: those must
 * never touch the shared server on 127.0.0.1:5432 that other test files use at the same time.
 *
 * Each cluster lives in a directory of its own (on /dev/shm when it is a roomy tmpfs, else the system
 * temporary directory): `data/` (the data directory), the unix socket, `postgres.log` and `owner` (the
 * pid of the test process). The server listens on 127.0.0.1 only, trusts every local connection, and
 * runs with fsync off: a crash of the server (SIGKILL) loses nothing, only an operating-system crash would.
 * As root (the CI machine) initdb and postgres run as the `postgres` OS user, which they require.
 */
export class PrivatePostgres {
  readonly dataDir: string;
  /** The server's log (its stdout and stderr), for diagnosing a failure. */
  readonly logFile: string;
  /**
   * How long the first start took, in milliseconds, and its parts: initdbMs is the copy of the cached
   * initdb output (plus initdb itself when this process made the cache).
   */
  readonly startTimings: { initdbMs: number; serverMs: number; createDatabaseMs: number; totalMs: number } = {
    initdbMs: 0,
    serverMs: 0,
    createDatabaseMs: 0,
    totalMs: 0,
  };

  private postmaster: RunningServer | undefined;
  private destroying: Promise<void> | undefined;
  private readonly forgetExitCleanup: () => void;

  private constructor(
    /** The cluster's own directory: data directory, socket, log. */
    readonly directory: string,
    private currentPort: number,
  ) {
    this.dataDir = path.join(directory, 'data');
    this.logFile = path.join(directory, 'postgres.log');
    this.forgetExitCleanup = atProcessExit(() => this.destroySync());
  }

  get port(): number {
    return this.currentPort;
  }

  /** The `gateway` database: postgres://postgres@127.0.0.1:<port>/gateway. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.currentPort}/gateway`;
  }

  /** Whether the server is up (started and neither stopped nor killed since). */
  get running(): boolean {
    return this.postmaster !== undefined && !this.postmaster.exited;
  }

  /** The postmaster's process id while it runs. */
  get pid(): number | undefined {
    return this.running ? this.postmaster?.child.pid : undefined;
  }

  /**
   * Creates a cluster (a copy of a cached initdb output, see clusterTemplate), starts it on
   * `options.port` or a free port and creates the database `gateway`; resolves once a connection
   * succeeds. About 0.1 s on /dev/shm once the template exists, 0.4 s for the process that makes it. Call destroy() when done (an exit of the test
   * process also removes it).
   */
  static async start(options: { port?: number } = {}): Promise<PrivatePostgres> {
    const began = performance.now();
    await removeOrphanedClusters();
    const directory = makeClusterDirectory();
    let cluster: PrivatePostgres | undefined;
    try {
      const initdbBegan = performance.now();
      await copyDirectory(await clusterTemplate(), path.join(directory, 'data'));
      const initdbMs = performance.now() - initdbBegan;

      cluster = new PrivatePostgres(directory, options.port ?? (await freePort()));
      const serverBegan = performance.now();
      // A free port can be taken between picking and binding it: pick another unless the caller chose it.
      for (let attempt = 1; ; attempt++) {
        try {
          await cluster.startServer();
          break;
        } catch (error) {
          if (!(error instanceof PortInUseError) || options.port !== undefined || attempt === 3) throw error;
          cluster.currentPort = await freePort();
        }
      }
      const serverMs = performance.now() - serverBegan;

      const createBegan = performance.now();
      await cluster.withClient('postgres', (client) => client.query('CREATE DATABASE gateway'));
      Object.assign(cluster.startTimings, {
        initdbMs,
        serverMs,
        createDatabaseMs: performance.now() - createBegan,
        totalMs: performance.now() - began,
      });
      return cluster;
    } catch (error) {
      if (cluster) await cluster.destroy();
      else rmSync(directory, { recursive: true, force: true });
      throw error;
    }
  }

  /** Starts the server again after stop() or kill(): same port, same data (recovering after a crash). */
  async start(): Promise<void> {
    if (this.destroying) throw new Error(`private PostgreSQL in ${this.directory} was destroyed`);
    if (this.running) throw new Error(`private PostgreSQL on port ${this.port} is already running`);
    await this.startServer();
  }

  /** Stops the server: `fast` rolls back open transactions and checkpoints; `immediate` leaves crash recovery to the next start. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const server = this.postmaster;
    if (!server || server.exited) return;
    server.child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    if (!(await server.exit(30_000))) {
      server.child.kill('SIGKILL');
      await server.exit(10_000);
    }
  }

  async restart(): Promise<void> {
    await this.stop('fast');
    await this.start();
  }

  /**
   * A crash: SIGKILL to the postmaster. Resolves once its backends noticed and left too, so every client
   * connection is gone; start() then recovers from the write-ahead log.
   */
  async kill(): Promise<void> {
    const server = this.postmaster;
    if (!server || server.exited) throw new Error(`private PostgreSQL on port ${this.port} is not running`);
    const pid = server.child.pid as number;
    const backends = childProcessesOf(pid);
    server.child.kill('SIGKILL');
    await server.exit(10_000);
    // Backends leave when they see the postmaster gone; a busy one may take a moment.
    const deadline = Date.now() + 10_000;
    while (backends.some(isAlive) && Date.now() < deadline) await sleep(5);
    for (const backend of backends.filter(isAlive)) signal(backend, 'SIGKILL');
  }

  /**
   * Cuts every client connection to `database` but the one asking (pg_terminate_backend), as a network
   * failure or a database restart would mid-transaction. Resolves once those backends are gone, with
   * how many there were. Their clients' next query fails with a connection error.
   */
  async terminateConnections(database = 'gateway'): Promise<number> {
    const { rows } = await this.withClient('postgres', (client) =>
      client.query<{ terminated: boolean }>(
        `SELECT pg_terminate_backend(pid, 10000) AS terminated FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        [database],
      ),
    );
    return rows.filter((row) => row.terminated).length;
  }

  /** Stops the server (immediate) and removes its directory. Safe to call more than once. */
  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      try {
        await this.stop('immediate');
      } finally {
        rmSync(this.directory, { recursive: true, force: true });
        this.forgetExitCleanup();
      }
    })();
    return this.destroying;
  }

  /** A client of `database` on this server, for a test's own queries. The caller ends it. */
  async connect(database = 'gateway'): Promise<pg.Client> {
    const client = new pg.Client({ host: '127.0.0.1', port: this.port, user: 'postgres', database, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  private async withClient<T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await this.connect(database);
    client.on('error', () => undefined);
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Starts the postmaster and resolves once it accepts a connection; fails with the log's new lines if it exits first. */
  private async startServer(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const logOffset = existsSync(this.logFile) ? statSync(this.logFile).size : 0;
      const server = this.launch();
      this.postmaster = server;
      const failure = await this.waitUntilAccepting(server, deadline);
      if (failure === undefined) return;
      const log = readFrom(this.logFile, logOffset);
      // After kill() a backend may still hold the old shared memory for a moment.
      if (/pre-existing shared memory block .* is still in use/.test(log) && Date.now() < deadline) {
        await sleep(20);
        continue;
      }
      if (!server.exited) {
        server.child.kill('SIGKILL');
        await server.exit(10_000);
      }
      if (/could not bind IPv4 address .*Address already in use/s.test(log)) {
        throw new PortInUseError(`private PostgreSQL could not listen on 127.0.0.1:${this.port}: the port is taken\n${log}`);
      }
      throw new Error(`private PostgreSQL in ${this.directory} did not start: ${failure}\n${log}`);
    }
  }

  private launch(): RunningServer {
    const log = openSync(this.logFile, 'a');
    try {
      const child = spawn(
        path.join(postgresBinDir(), 'postgres'),
        [
          '-D', this.dataDir,
          '-p', String(this.port),
          '-c', 'listen_addresses=127.0.0.1',
          '-c', `unix_socket_directories=${this.directory}`,
          '-c', 'fsync=off',
          // Segments in the data directory, not /dev/shm: nothing outlives a removed cluster.
          '-c', 'dynamic_shared_memory_type=mmap',
          '-c', 'huge_pages=off',
          '-c', 'min_wal_size=8MB',
          '-c', 'max_wal_size=64MB',
        ],
        { cwd: this.directory, env: serverEnvironment(), stdio: ['ignore', log, log], ...serverUser() },
      );
      return new RunningServer(child);
    } finally {
      closeSync(log);
    }
  }

  private async waitUntilAccepting(server: RunningServer, deadline: number): Promise<string | undefined> {
    let lastError = 'no attempt';
    while (Date.now() < deadline) {
      if (server.exited) return `postgres exited (${server.exitDescription})`;
      const client = new pg.Client({ host: '127.0.0.1', port: this.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return undefined;
      } catch (error) {
        lastError = String(error);
      } finally {
        await client.end().catch(() => undefined);
      }
      await sleep(10);
    }
    return `no connection within the time allowed (last: ${lastError})`;
  }

  /** The exit hook's version of destroy(): synchronous, as an exiting process allows nothing else. */
  private destroySync(): void {
    const pid = this.pid;
    if (pid !== undefined) {
      signal(pid, 'SIGQUIT');
      if (!waitSync(() => !isAlive(pid), 5_000)) signal(pid, 'SIGKILL');
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}

class PortInUseError extends Error {}

/** A postmaster child process and its exit. */
class RunningServer {
  exited = false;
  exitDescription = '';
  private readonly exitPromise: Promise<void>;

  constructor(readonly child: ChildProcess) {
    this.exitPromise = new Promise((resolve) => {
      const done = (description: string): void => {
        if (this.exited) return;
        this.exited = true;
        this.exitDescription = description;
        resolve();
      };
      child.once('exit', (code, signalName) => done(signalName ? `signal ${signalName}` : `code ${code}`));
      child.once('error', (error) => done(`could not run: ${error.message}`));
    });
  }

  /** Resolves true once the process exited, false after `timeoutMs`. */
  async exit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.exitPromise.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cleanup when the test process leaves

const exitCleanups = new Set<() => void>();
let exitHooked = false;

/**
 * Runs `cleanup` (synchronous) when the process exits, including on SIGTERM, SIGINT and SIGHUP: vitest
 * ends its fork workers with SIGTERM, which skips 'exit' listeners. The signal is raised again afterwards
 * when nobody else listens for it, so the process still ends as the signal means. Returns a function
 * that forgets `cleanup`.
 */
export function atProcessExit(cleanup: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', runExitCleanups);
    for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.once(name, () => {
        runExitCleanups();
        if (process.listenerCount(name) === 0) process.kill(process.pid, name);
      });
    }
  }
  exitCleanups.add(cleanup);
  return () => {
    exitCleanups.delete(cleanup);
  };
}

function runExitCleanups(): void {
  for (const cleanup of [...exitCleanups]) {
    exitCleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // Leaving anyway; the next start removes what is left (removeOrphanedClusters).
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Installation, user, directories

const CLUSTER_PREFIX = 'mra-private-pg-';
const TEMPLATE_PREFIX = 'mra-pg-template-';
const TMPFS_MAGIC = 0x01021994;

let binDir: string | undefined;

/** The PostgreSQL server binaries: POSTGRES_BIN_DIR, else the newest /usr/lib/postgresql/<major>/bin. */
export function postgresBinDir(): string {
  if (binDir !== undefined) return binDir;
  const fromEnvironment = process.env.POSTGRES_BIN_DIR;
  if (fromEnvironment) return (binDir = fromEnvironment);
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((entry) => /^\d+$/.test(entry) && existsSync(path.join(root, entry, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors[0] === undefined) throw new Error(`no PostgreSQL server under ${root}/<major>/bin; install postgresql or set POSTGRES_BIN_DIR`);
  return (binDir = path.join(root, majors[0], 'bin'));
}

/** As root, the `postgres` OS user's ids (initdb and postgres refuse to run as root); otherwise nobody else. */
function serverUser(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (!entry) throw new Error('running as root, but there is no `postgres` OS user to run a private PostgreSQL as');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

function serverEnvironment(): NodeJS.ProcessEnv {
  // The shared server's settings (Etc/UTC, C.UTF-8); a fixed TZ also spares initdb its zone search.
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: 'Etc/UTC', LC_ALL: 'C.UTF-8' };
}

/** /dev/shm when it is a tmpfs with room (initdb and start are several times faster there), else the temporary directory. */
function baseDirectory(): string {
  const fromEnvironment = process.env.PRIVATE_POSTGRES_DIR;
  if (fromEnvironment) return fromEnvironment;
  try {
    const stats = statfsSync('/dev/shm');
    accessSync('/dev/shm', constants.W_OK);
    if (stats.type === TMPFS_MAGIC && stats.bavail * stats.bsize >= 1024 ** 3) return '/dev/shm';
  } catch {
    // No usable /dev/shm.
  }
  return tmpdir();
}

function makeClusterDirectory(): string {
  const directory = mkdtempSync(path.join(baseDirectory(), CLUSTER_PREFIX));
  writeFileSync(path.join(directory, 'owner'), `${process.pid}\n`);
  const user = serverUser();
  if ('uid' in user) chownSync(directory, user.uid, user.gid);
  return directory;
}

const INITDB_ARGUMENTS = [
  '-U', 'postgres',
  '--auth=trust',
  '--encoding=UTF8',
  '--locale=C.UTF-8',
  '--no-sync',
  '--no-instructions',
  // 1 MB WAL segments instead of 16: less to write and copy, less room taken on tmpfs.
  '--wal-segsize=1',
];

let template: Promise<string> | undefined;

/**
 * A data directory fresh from initdb, made once and kept in the base directory for every later cluster
 * and test process: copying it takes a tenth of initdb's time. Its name says the server binaries and
 * initdb arguments it was made with, so a change makes a new one. Made under a temporary name and
 * renamed, so a process never sees another's half-made template.
 */
function clusterTemplate(): Promise<string> {
  template ??= (async () => {
    const key = createHash('sha256').update(JSON.stringify([postgresBinDir(), INITDB_ARGUMENTS])).digest('hex').slice(0, 12);
    const finalDir = path.join(baseDirectory(), `${TEMPLATE_PREFIX}${path.basename(path.dirname(postgresBinDir()))}-${key}`);
    if (existsSync(path.join(finalDir, 'PG_VERSION'))) return finalDir;
    const building = mkdtempSync(`${finalDir}.building-`);
    try {
      const user = serverUser();
      if ('uid' in user) chownSync(building, user.uid, user.gid);
      const dataDir = path.join(building, 'data');
      await run(path.join(postgresBinDir(), 'initdb'), ['-D', dataDir, ...INITDB_ARGUMENTS], building);
      try {
        renameSync(dataDir, finalDir);
      } catch (error) {
        // Another process made it meanwhile: use theirs.
        if (!existsSync(path.join(finalDir, 'PG_VERSION'))) throw error;
      }
      return finalDir;
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
  })();
  template.catch(() => {
    template = undefined;
  });
  return template;
}

/** Copies `source` to `target` as the server's user, keeping modes (a data directory must be 0700 and the server's). */
async function copyDirectory(source: string, target: string): Promise<void> {
  await run('cp', ['-R', '--preserve=mode,timestamps', source, target], path.dirname(target));
}

/** Runs `command` as the server's user; fails with its output unless it exits with 0. */
async function run(command: string, args: string[], cwd: string): Promise<void> {
  const output: string[] = [];
  const child = spawn(command, args, { cwd, env: serverEnvironment(), stdio: ['ignore', 'pipe', 'pipe'], ...serverUser() });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const status = await new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`could not run: ${error.message}`));
    child.once('exit', (code, signalName) => resolve(code === 0 ? 'ok' : signalName ? `signal ${signalName}` : `code ${code}`));
  });
  if (status !== 'ok') throw new Error(`${path.basename(command)} for a private PostgreSQL failed (${status}):\n${output.join('')}`);
}

let orphansRemoved = false;

/**
 * Clusters left by test processes that died without cleaning up (SIGKILL): their owner is gone. Stops
 * their servers and removes their directories, once per process.
 */
async function removeOrphanedClusters(): Promise<void> {
  if (orphansRemoved) return;
  orphansRemoved = true;
  const base = baseDirectory();
  let entries: string[];
  try {
    entries = readdirSync(base).filter((entry) => entry.startsWith(CLUSTER_PREFIX));
  } catch {
    return;
  }
  for (const entry of entries) {
    const directory = path.join(base, entry);
    try {
      const owner = readPid(path.join(directory, 'owner'));
      if (owner === undefined ? Date.now() - statSync(directory).mtimeMs < 60_000 : isAlive(owner)) continue;
      const postmaster = readPid(path.join(directory, 'data', 'postmaster.pid'));
      if (postmaster !== undefined && isAlive(postmaster) && processName(postmaster) === 'postgres') {
        signal(postmaster, 'SIGQUIT');
        const deadline = Date.now() + 5_000;
        while (isAlive(postmaster) && Date.now() < deadline) await sleep(10);
        if (isAlive(postmaster)) signal(postmaster, 'SIGKILL');
      }
      rmSync(directory, { recursive: true, force: true });
    } catch {
      // Another process is removing it, or it is not ours to remove.
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Processes

/** Whether `pid` runs (a zombie, dead but not yet reaped, does not). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync('/proc/self/stat')) return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The direct children of `pid` (a postmaster's backends and auxiliary processes). */
function childProcessesOf(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) children.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return children;
}

function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The part of `file` after its first `offset` bytes. */
function readFrom(file: string, offset: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const length = Math.max(0, statSync(file).size - offset);
      const buffer = Buffer.alloc(Math.min(length, 64 * 1024));
      const read = readSync(fd, buffer, 0, buffer.length, Math.max(offset, offset + length - buffer.length));
      return buffer.subarray(0, read).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `done` for up to `timeoutMs` without an event loop (for exit hooks). */
function waitSync(done: () => boolean, timeoutMs: number): boolean {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    Atomics.wait(cell, 0, 0, 5);
  }
  return true;
}
