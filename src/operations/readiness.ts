import type { OutboxBacklog } from '../outbox/outbox-ports.js';

/** Why the gateway is not ready; stable codes that probes and alerts can switch on. */
export const NOT_READY_REASONS = ['store-not-writable', 'broker-disconnected', 'outbox-backlog-too-old', 'outbox-unreadable'] as const;
export type NotReadyReason = (typeof NOT_READY_REASONS)[number];

/** The body of GET /readyz (ready or not): what was checked and what it found. Never holds secrets. */
export interface ReadinessReport {
  status: 'ready' | 'not-ready';
  reasons: NotReadyReason[];
  checks: {
    store: { writable: boolean };
    broker: { connected: boolean };
    outbox: { backlog: number | null; oldestAgeSeconds: number | null; maxAgeSeconds: number };
    /** Which configuration this instance runs with (operations/config-digest.ts); information only, never a reason. */
    config?: { digest: string };
  };
}

/** What readiness looks at; the SQLite store, the AMQP publisher and the outbox store fit as they are. */
export interface ReadinessSources {
  store: { isWritable(): Promise<boolean> };
  broker: { readonly connected: boolean };
  outbox: { backlog(): Promise<OutboxBacklog> };
  /** Oldest an unpublished record may be before the gateway counts as not ready. */
  maxBacklogAgeSeconds: number;
  /** The configuration digest, shown so that operators can compare instances; it does not affect readiness. */
  config?: { digest: string };
  /**
   * Wall-clock time in ms. The outbox stamps rows with the system clock, so this must be the system
   * clock too, not the intake's (movable) clock.
   */
  now?: () => number;
}

/**
 * Whether the gateway can do its whole job now: accept (store writable) and deliver (broker connected,
 * outbox not stuck). A broker outage alone does not stop intake (records wait in the outbox), but it
 * does stop delivery, which is what operators and orchestrators need to see.
 */
export async function checkReadiness(sources: ReadinessSources): Promise<ReadinessReport> {
  const now = sources.now ?? Date.now;
  const reasons: NotReadyReason[] = [];

  const writable = await sources.store.isWritable();
  if (!writable) reasons.push('store-not-writable');

  const connected = sources.broker.connected;
  if (!connected) reasons.push('broker-disconnected');

  let backlog: OutboxBacklog | undefined;
  try {
    backlog = await sources.outbox.backlog();
  } catch {
    reasons.push('outbox-unreadable');
  }
  const oldestAgeSeconds = backlog?.oldestCreatedAt ? Math.max(0, (now() - backlog.oldestCreatedAt.getTime()) / 1000) : null;
  if (oldestAgeSeconds !== null && oldestAgeSeconds > sources.maxBacklogAgeSeconds) reasons.push('outbox-backlog-too-old');

  return {
    status: reasons.length === 0 ? 'ready' : 'not-ready',
    reasons,
    checks: {
      store: { writable },
      broker: { connected },
      outbox: { backlog: backlog?.count ?? null, oldestAgeSeconds, maxAgeSeconds: sources.maxBacklogAgeSeconds },
      ...(sources.config ? { config: { digest: sources.config.digest } } : {}),
    },
  };
}
