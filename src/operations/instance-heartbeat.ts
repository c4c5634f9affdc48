import type { Logger } from 'winston';
import { GatewayError } from '../domain/gateway-error.js';
import { ConditionLog } from '../logging/condition-log.js';
import type { InstanceRegistry, InstanceReport, SeenInstance } from './instance-registry.js';

/** How often an instance reports itself, unless configured (INSTANCE_HEARTBEAT_SECONDS). */
export const DEFAULT_HEARTBEAT_MS = 10_000;
/** Another instance counts as live when heard from this recently (at least three heartbeats). */
const LIVE_WITHIN_MS = 30_000;
/** Instances not heard from this long are taken off the list. */
const FORGET_AFTER_MS = 10 * 60_000;
/** (instance, digest) pairs remembered as already warned about; beyond, the oldest are forgotten. */
const MAX_WARNED_PAIRS = 1_000;

/**
 * Every instance on a store should run with the same configuration. This reports the instance's
 * configuration digest to the registry every `intervalMs` and compares it with those of the other
 * live instances: a difference is logged at warn once per (other instance, its digest), naming both
 * digests and the other instance (never file contents), and counted for mra_config_digest_mismatch.
 */
export class InstanceHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private differing = 0;
  private readonly warned = new Set<string>();
  private readonly failures: ConditionLog;
  private readonly self: InstanceReport;
  private readonly liveWithinMs: number;
  private readonly forgetAfterMs: number;

  constructor(
    private readonly registry: InstanceRegistry,
    self: Omit<InstanceReport, 'instanceId'>,
    private readonly logger: Logger,
    private readonly intervalMs: number = DEFAULT_HEARTBEAT_MS,
  ) {
    this.self = { ...self, instanceId: registry.instanceId };
    this.liveWithinMs = Math.max(LIVE_WITHIN_MS, 3 * intervalMs);
    this.forgetAfterMs = Math.max(FORGET_AFTER_MS, 2 * this.liveWithinMs);
    this.failures = new ConditionLog(logger, 'instance registry');
  }

  get instanceId(): string {
    return this.self.instanceId;
  }

  /** Live instances whose configuration digest differs from this one's (as of the last heartbeat). */
  get mismatches(): number {
    return this.differing;
  }

  /** Reports at once, then every interval. */
  start(): void {
    this.stopped = false;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops reporting (waiting for a report under way) and takes this instance off the list. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
    await this.registry.leave().catch(() => undefined);
  }

  /** One heartbeat: report, then compare with the others. Resolves when done; never rejects. */
  beat(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.inFlight ??= this.report().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async report(): Promise<void> {
    try {
      await this.registry.report(this.self, this.forgetAfterMs);
      this.compare(await this.registry.others(this.liveWithinMs));
      this.failures.recovered();
    } catch (error) {
      // The store logs its own outages; anything else is this registry's.
      if (error instanceof GatewayError && error.code === 'store-unavailable') return;
      this.failures.failed('query-failed', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  private compare(others: readonly SeenInstance[]): void {
    const differing = others.filter((other) => other.configDigest !== this.self.configDigest);
    this.differing = differing.length;
    for (const other of differing) {
      const pair = `${other.instanceId}\u0000${other.configDigest}`;
      if (this.warned.has(pair)) continue;
      this.warned.add(pair);
      if (this.warned.size > MAX_WARNED_PAIRS) this.warned.delete(this.warned.values().next().value!);
      this.logger.warn('another gateway instance on the store runs with a different configuration (CONFIG_DIR)', {
        instanceId: this.self.instanceId,
        configDigest: this.self.configDigest,
        otherInstanceId: other.instanceId,
        otherConfigDigest: other.configDigest,
        otherGatewayVersion: other.gatewayVersion,
        otherLastSeen: other.lastSeen.toISOString(),
      });
    }
  }
}
