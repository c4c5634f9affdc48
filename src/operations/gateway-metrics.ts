import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReceiptCounts } from '../domain/intake/receipt.js';
import { partnerKeyState, type PartnerKey } from '../domain/partner-key.js';
import type { OutboxBacklog, PendingRecord } from '../outbox/outbox-ports.js';
import { keyExpiryHorizonSeconds } from './key-expiry-horizon.js';
import type { SubmissionOutcome } from './submission-outcome.js';

/** What the metrics read at scrape time. The gateway's own store, publisher and key store fit as they are. */
export interface MetricsSources {
  outbox: { backlog(): Promise<OutboxBacklog> };
  broker: { readonly connected: boolean; on(event: 'disconnected', listener: () => void): unknown };
  partnerKeys: { all(): Promise<PartnerKey[]> };
  /** Codes of the administrations in the registry. */
  administrations: () => readonly string[];
  /** Wall-clock time; the outbox and key windows are in system time. */
  now?: () => Date;
  /** The configuration digest (operations/config-digest.ts) and how many live other instances differ from it. */
  config?: { digest: string; mismatches: () => number };
}

/** Change types counted per accepted message (the receipt's counts). */
const RECEIVED_CHANGES: readonly [keyof ReceiptCounts, string][] = [
  ['added', 'added'],
  ['updated', 'updated'],
  ['statusChanged', 'status-changed'],
  ['removed', 'removed'],
  ['unchanged', 'unchanged'],
];

/**
 * The gateway's Prometheus metrics, in a registry of its own (not prom-client's global one), so that
 * several gateways in one process (tests) never share counters. Label values come only from bounded,
 * authenticated sets: administration codes of the registry, problem codes, change kinds, route
 * patterns; never from what an unauthenticated client sent, and never secrets.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly submissions: Counter<'administration' | 'outcome'>;
  private readonly rejections: Counter<'problem'>;
  private readonly membersReceived: Counter<'administration' | 'change'>;
  private readonly recordsPublished: Counter<'administration' | 'change'>;
  private readonly publishedByLabels = new Map<string, ReturnType<Counter<'administration' | 'change'>['labels']>>();
  private readonly publishDuration: Histogram;
  private readonly deliveryDelay: Histogram;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    const now = sources.now ?? (() => new Date());
    collectDefaultMetrics({ register: this.registry });

    this.submissions = new Counter({
      name: 'mra_submissions_total',
      help: 'Member-list submissions by administration (the signing key owner; "unknown" before authentication) and outcome (accepted, replayed, rejected).',
      labelNames: ['administration', 'outcome'],
      registers,
    });
    this.rejections = new Counter({
      name: 'mra_submission_rejections_total',
      help: 'Rejected member-list submissions by problem type code (urn:mra-gateway:problem:<problem>).',
      labelNames: ['problem'],
      registers,
    });
    this.membersReceived = new Counter({
      name: 'mra_members_received_total',
      help: 'Members in accepted member lists by administration and change type (added, updated, status-changed, removed, unchanged).',
      labelNames: ['administration', 'change'],
      registers,
    });
    this.recordsPublished = new Counter({
      name: 'mra_records_published_total',
      help: 'Records confirmed by the broker, by administration and change.',
      labelNames: ['administration', 'change'],
      registers,
    });
    this.publishDuration = new Histogram({
      name: 'mra_record_publish_duration_seconds',
      help: 'Time from publishing a record to the broker confirming it.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.deliveryDelay = new Histogram({
      name: 'mra_record_delivery_delay_seconds',
      help: 'Time from accepting the member list to the broker confirming its record (includes time waiting in the outbox).',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14_400, 86_400],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'mra_http_request_duration_seconds',
      help: 'HTTP request durations by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });

    // Both outbox gauges come from one backlog query per scrape: the collects run together, so they
    // share the query in flight.
    let backlogInFlight: ReturnType<MetricsSources['outbox']['backlog']> | undefined;
    const backlog = () => {
      backlogInFlight ??= sources.outbox.backlog().finally(() => (backlogInFlight = undefined));
      return backlogInFlight;
    };
    new Gauge({
      name: 'mra_outbox_backlog_records',
      help: 'Records in the outbox that the broker has not confirmed yet.',
      registers,
      async collect() {
        this.set((await backlog()).count);
      },
    });
    new Gauge({
      name: 'mra_outbox_oldest_record_age_seconds',
      help: 'Age of the oldest record the broker has not confirmed yet (0 when none).',
      registers,
      async collect() {
        const { oldestCreatedAt } = await backlog();
        this.set(oldestCreatedAt ? Math.max(0, (now().getTime() - oldestCreatedAt.getTime()) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'mra_broker_connected',
      help: '1 while the gateway has a confirm channel to the broker, else 0.',
      registers,
      collect() {
        this.set(sources.broker.connected ? 1 : 0);
      },
    });
    const disconnections = new Counter({
      name: 'mra_broker_disconnections_total',
      help: 'Times the broker channel was lost.',
      registers,
    });
    sources.broker.on('disconnected', () => disconnections.inc());
    const config = sources.config;
    if (config) {
      // The digest is a hash of files, one value per process: a bounded label that says nothing of the contents.
      new Gauge({
        name: 'mra_config_info',
        help: 'Always 1; its digest label is the SHA-256 of the CONFIG_DIR files that shape behaviour (mras.json, admin-keys.json, partner-keys/*.json). Instances on one store should all show the same.',
        labelNames: ['digest'],
        registers,
      }).set({ digest: config.digest }, 1);
      new Gauge({
        name: 'mra_config_digest_mismatch',
        help: 'Other live instances on the store whose configuration digest differs from this one\'s (as of the last heartbeat).',
        registers,
        collect() {
          this.set(config.mismatches());
        },
      });
    }
    // Both key gauges come from one read of all keys per scrape (one query, not one per administration).
    let keysInFlight: Promise<{ at: Date; byAdministration: [string, PartnerKey[]][] }> | undefined;
    const partnerKeys = () => {
      keysInFlight ??= (async () => {
        const keys = await sources.partnerKeys.all();
        const byAdministration = sources.administrations().map((code): [string, PartnerKey[]] => [code, keys.filter((key) => key.administration === code)]).filter(([, own]) => own.length > 0);
        return { at: now(), byAdministration };
      })().finally(() => (keysInFlight = undefined));
      return keysInFlight;
    };
    new Gauge({
      name: 'mra_partner_key_expiry_horizon_seconds',
      help: 'Seconds until the administration has no usable signing key (+Inf when a key has no end; 0 when none is usable; unsafe keys do not count). Only administrations with registered keys.',
      labelNames: ['administration'],
      registers,
      async collect() {
        const { at, byAdministration } = await partnerKeys();
        this.reset();
        for (const [code, keys] of byAdministration) this.set({ administration: code }, keyExpiryHorizonSeconds(keys, at));
      },
    });
    new Gauge({
      name: 'mra_partner_keys_unsafe',
      help: 'Stored keys of the administration in state unsafe (weak or degenerate key material, not revoked): never used; revoke them. Only administrations with registered keys.',
      labelNames: ['administration'],
      registers,
      async collect() {
        const { at, byAdministration } = await partnerKeys();
        this.reset();
        for (const [code, keys] of byAdministration) this.set({ administration: code }, keys.filter((key) => partnerKeyState(key, at) === 'unsafe').length);
      },
    });
  }

  /** Counts one finished submission (accepted, replayed or rejected). */
  observeSubmission(outcome: SubmissionOutcome): void {
    this.submissions.inc({ administration: outcome.administration, outcome: outcome.outcome });
    if (outcome.outcome === 'rejected') this.rejections.inc({ problem: outcome.problem });
    if (outcome.outcome === 'accepted') {
      for (const [field, change] of RECEIVED_CHANGES) {
        const count = outcome.counts[field];
        if (typeof count === 'number' && count >= 0) this.membersReceived.inc({ administration: outcome.administration, change }, count);
      }
    }
  }

  /** For the outbox relay: a record the broker confirmed, `confirmSeconds` after it was published. */
  readonly recordConfirmed = (record: PendingRecord, confirmSeconds: number): void => {
    // Called for every record: the labelled child is looked up once per (administration, change).
    const key = `${record.administration} ${record.change}`;
    let published = this.publishedByLabels.get(key);
    if (!published) {
      published = this.recordsPublished.labels(record.administration, record.change);
      this.publishedByLabels.set(key, published);
    }
    published.inc();
    this.publishDuration.observe(Math.max(0, confirmSeconds));
    const delay = (Date.now() - Date.parse(record.occurredAt)) / 1000;
    if (Number.isFinite(delay)) this.deliveryDelay.observe(Math.max(0, delay));
  };

  observeHttpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  /** The Prometheus text exposition. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
