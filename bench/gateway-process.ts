import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The gateway as its own process (node dist/main.js), so its memory is measured apart from the benchmark's. */
export class GatewayProcess {
  private constructor(private readonly child: ChildProcess, readonly url: string) {}

  static async start(env: Record<string, string>, port: number): Promise<GatewayProcess> {
    const root = path.resolve(import.meta.dirname, '..');
    // BENCH_GATEWAY_NODE_ARGS, e.g. --cpu-prof, profiles the gateway itself.
    const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'dist/main.js')], {
      // The benchmark floods from one address for a handful of administrations: no rate limits there.
      env: { RATE_LIMIT_PER_CLIENT_PER_MINUTE: '0', RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE: '0', ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`);
      try {
        if ((await fetch(`${url}/healthz`)).ok) return new GatewayProcess(child, url);
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('gateway did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Peak resident set size so far, in MB (VmHWM). */
  peakRssMb(): number {
    return this.statusMb('VmHWM');
  }

  /** Resident set size now, in MB (VmRSS). */
  rssMb(): number {
    return this.statusMb('VmRSS');
  }

  private statusMb(field: 'VmHWM' | 'VmRSS'): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
