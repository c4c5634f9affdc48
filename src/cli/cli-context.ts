import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';

/** The environment variables a command reads (MRA_GATEWAY_URL, MRA_ADMIN_KEY, AMQP_URL, ...). */
export type CliEnv = Record<string, string | undefined>;

/** What every command runs with: where it writes, the environment, and a signal to stop (Ctrl-C). */
export interface CliContext {
  io: CliIo;
  env: CliEnv;
  signal?: AbortSignal;
  /** The exit code the command that ran chose. */
  exitCode: number;
  /** The command being run (set just before its action), to name it in messages. */
  command?: Command;
}

/** "mra admin keys add": the names from the root to this command. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * The action of a command: runs `run` with commander's arguments and keeps the exit code it returns.
 * Errors go up to runMra, which reports them with their exit code.
 */
export function action<A extends unknown[]>(context: CliContext, run: (...args: A) => Promise<number>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    context.exitCode = await run(...(args as A));
  };
}

/** Where the gateway is when neither --gateway-url nor MRA_GATEWAY_URL says: `npm start` on this machine. */
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';

/** `--gateway-url`, the same in every command that calls the gateway. */
export const GATEWAY_URL_FLAGS = '--gateway-url <url>';
export const GATEWAY_URL_HELP = `the gateway's base URL, with any path prefix (env MRA_GATEWAY_URL; default ${DEFAULT_GATEWAY_URL})`;

/**
 * The gateway base URL: the option, else MRA_GATEWAY_URL, else the variables named in `legacy` (kept
 * from earlier versions), else the default.
 */
export function resolveGatewayUrl(value: string | undefined, env: CliEnv, legacy: readonly string[] = []): string {
  if (value !== undefined && value !== '') return value;
  for (const name of ['MRA_GATEWAY_URL', ...legacy]) {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  }
  return DEFAULT_GATEWAY_URL;
}
