import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** What an instance says about itself in the registry. */
export interface InstanceReport {
  instanceId: string;
  /** operations/config-digest.ts of its CONFIG_DIR. */
  configDigest: string;
  gatewayVersion: string;
  startedAt: Date;
}

/** Another instance as the registry last heard from it. */
export interface SeenInstance extends InstanceReport {
  lastSeen: Date;
}

/**
 * The gateway instances sharing a store, each with the configuration it runs with, so that one that
 * runs with a different configuration is noticed (operations/instance-heartbeat.ts).
 */
export interface InstanceRegistry {
  /** This instance among those on the store. */
  readonly instanceId: string;
  /** Records that `self` is alive now, and forgets instances not heard from for `forgetAfterMs`. */
  report(self: InstanceReport, forgetAfterMs: number): Promise<void>;
  /** The other instances heard from within the last `withinMs`, by the store's clock. */
  others(withinMs: number): Promise<SeenInstance[]>;
  /** Takes this instance off the list (a clean shutdown); best effort. */
  leave(): Promise<void>;
}

/** An id for this process among instances: host, pid and a random part (pids are reused). */
export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** The embedded store has one process: it is the only instance, and there is no one to compare with. */
export class SoleInstanceRegistry implements InstanceRegistry {
  readonly instanceId = newInstanceId();

  async report(): Promise<void> {}

  async others(): Promise<SeenInstance[]> {
    return [];
  }

  async leave(): Promise<void> {}
}
