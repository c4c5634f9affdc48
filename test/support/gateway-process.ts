import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** Children still running, killed if the test process leaves without stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port that was free a moment ago (the gateway reports no port when given PORT=0, so pick one here). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The gateway as its own process, started from the sources as `node --import tsx src/main.ts` with the
 * environment a test gives it (CONFIG_DIR, DATA_DIR, AMQP_URL, topology names ...). It can be killed
 * without warning, which an in-process gateway cannot: SIGKILL leaves the store exactly as a crash would.
 */
export class GatewayProcess {
  /** The process's output lines (JSON log lines, start-up errors), for diagnosing a failure. */
  readonly output: string[] = [];
  readonly exited: Promise<ExitStatus>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const collect = (chunk: Buffer): void => {
      this.output.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      if (this.output.length > 2000) this.output.splice(0, this.output.length - 2000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  /**
   * Starts the gateway and resolves once GET /healthz answers. A port taken between picking and
   * binding it is retried with another one.
   */
  static async start(env: Record<string, string>, options: { startTimeoutMs?: number } = {}): Promise<GatewayProcess> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      try {
        return await GatewayProcess.startOn(port, env, options.startTimeoutMs ?? 30_000);
      } catch (error) {
        lastError = error as Error;
        if (!/EADDRINUSE/.test(lastError.message)) throw lastError;
      }
    }
    throw lastError ?? new Error('gateway process did not start');
  }

  private static async startOn(port: number, env: Record<string, string>, startTimeoutMs: number): Promise<GatewayProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const gateway = new GatewayProcess(child, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`gateway process exited during start-up (${child.exitCode ?? child.signalCode}): ${gateway.output.slice(-5).join('\n')}`);
      }
      try {
        if ((await fetch(`${gateway.url}/healthz`)).ok) return gateway;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`gateway process did not answer /healthz within ${startTimeoutMs} ms: ${gateway.output.slice(-5).join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `signal` (SIGKILL unless told otherwise) and resolves once the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitStatus> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /**
   * Stops the gateway as an operator would (SIGTERM: it closes its server, relay, broker and store),
   * and as an orchestrator would after a grace period of `graceMs` (SIGKILL).
   */
  async stop(graceMs = 10_000): Promise<ExitStatus> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.kill('SIGTERM');
    } finally {
      clearTimeout(timer);
    }
  }
}
