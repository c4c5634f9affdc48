import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'winston';
import { AdminOverview } from './admin/admin-overview.js';
import { startAdministration } from './admin/start-administration.js';
import { redactedAmqpUrl, type AppConfig } from './config/app-config.js';
import { gatewayVersion } from './config/gateway-version.js';
import { loadMraRegistry } from './config/mra-registry-file.js';
import { importBootstrapPartnerKeys } from './config/partner-key-bootstrap.js';
import { ArrangementRegistry } from './domain/arrangement.js';
import { systemClock, type Clock } from './domain/clock.js';
import { rateLimitedAdmission } from './domain/intake/administration-admission.js';
import { MemberListIntake } from './domain/intake/member-list-intake.js';
import { MemberListVerifier } from './domain/signature/member-list-verifier.js';
import { createApp } from './http/app.js';
import { BodyMemoryBudget } from './http/body-memory-budget.js';
import { answerClientErrors, logDroppedConnections } from './http/client-errors.js';
import { BUSY_RETRY_AFTER_SECONDS, LARGE_SUBMISSION_BYTES, SubmissionSlots } from './http/submission-slots.js';
import { createLogger } from './logging/logger.js';
import { AmqpRecordPublisher } from './messaging/amqp-record-publisher.js';
import { GatewayMetrics } from './operations/gateway-metrics.js';
import { HistoryRetention } from './operations/history-retention.js';
import { SubmissionLogRetention } from './operations/submission-log-retention.js';
import { MemberReaderAuthenticator } from './register/member-reader-authenticator.js';
import { configDigest } from './operations/config-digest.js';
import { InstanceHeartbeat } from './operations/instance-heartbeat.js';
import { reportStoredPartnerKeys } from './operations/stored-partner-keys.js';
import type { RelayOptions } from './outbox/outbox-relay.js';
import { RelayLeadership } from './outbox/relay-leadership.js';
import { ArrangementAdmin } from './admin/arrangement-admin.js';
import { ReceiptKeys } from './receipts/receipt-keys.js';
import { loadKeyEncryptionKey } from './receipts/key-encryption-key.js';
import { ReceiptKeySealer } from './receipts/receipt-key-sealing.js';
import { sealReceiptKeysAtRest } from './receipts/receipt-keys-at-rest.js';
import type { OutboxStore } from './outbox/outbox-ports.js';
import type { GatewayStore, PartnerKeyStore } from './store/gateway-store.js';
import { openStore } from './store/open-store.js';
import { memberListSchema } from './validation/json-schemas.js';

export interface GatewayOptions {
  logger?: Logger;
  clock?: Clock;
  relay?: Partial<RelayOptions>;
}

/** A running gateway: its HTTP server, and the parts tests and operations look at. */
export interface Gateway {
  url: string;
  server: Server;
  store: GatewayStore;
  outbox: OutboxStore;
  partnerKeys: PartnerKeyStore;
  publisher: AmqpRecordPublisher;
  relay: RelayLeadership;
  close(): Promise<void>;
}

/**
 * Wires the gateway from its configuration: registry and store first (bad configuration stops here),
 * then the broker connection in the background, the outbox relay, and finally the HTTP server.
 */
export async function startGateway(config: AppConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const arrangements = new ArrangementRegistry(loadMraRegistry(config.configDir));
  const digest = configDigest(config.configDir);
  const store = await openStore(config, logger);
  // On the store's list of instances with its configuration digest; another instance's differing one is logged.
  const heartbeat = new InstanceHeartbeat(store.instances, { configDigest: digest, gatewayVersion, startedAt: new Date() }, logger, config.instanceHeartbeatMs);
  try {
    heartbeat.start();
    const { partnerKeys, outbox } = store;
    const receiptKeys = await store.exclusively(async () => {
      await importBootstrapPartnerKeys(config.configDir, arrangements, partnerKeys, config.jwsAlgorithms, logger);
      // Receipt private keys are sealed at rest under the key-encryption key; keys an earlier version stored in plaintext are sealed first.
      const receiptKeySealer = new ReceiptKeySealer(loadKeyEncryptionKey(config, logger));
      await sealReceiptKeysAtRest(store.admin, receiptKeySealer, logger);
      return ReceiptKeys.load(store.receiptKeys, receiptKeySealer);
    });
    await reportStoredPartnerKeys(partnerKeys, clock.now(), logger);
    const admin = await startAdministration({
      configDir: config.configDir,
      store: store.admin,
      tokenLedger: store.adminTokens,
      submissionLog: store.submissions,
      arrangements,
      receiptKeys,
      partnerKeyAlgorithms: config.jwsAlgorithms,
      clock,
      logger,
    });

    const brokerNodes = config.amqpUrls.map((url) => ({ url, endpoint: redactedAmqpUrl(url) }));
    logger.info('connecting to the broker', { amqpUrl: brokerNodes.map((node) => node.endpoint).join(','), exchange: config.topology.exchange });
    const publisher = await AmqpRecordPublisher.start(brokerNodes, config.topology, logger);
    const metrics = new GatewayMetrics({ outbox, broker: publisher, partnerKeys, administrations: () => arrangements.all().map((a) => a.code), config: { digest, mismatches: () => heartbeat.mismatches } });
    // Exactly one instance on a shared store publishes; this one does while it holds the relay lease.
    const relay = new RelayLeadership(store.relayLease, {
      store: outbox,
      publisher,
      logger,
      ...(options.relay ? { options: options.relay } : {}),
      onConfirmed: metrics.recordConfirmed,
      // A publishing instance that lost the broker for three lease periods leaves publishing to one that has it.
      ...(config.database ? { brokerGraceMs: config.database.relayLeaseMs * 3 } : {}),
    });
    relay.start();
    const historyRetention = new HistoryRetention(store.memberHistory, config.memberHistoryRetentionDays, logger);
    historyRetention.start();
    const submissionLogRetention = new SubmissionLogRetention(store.submissions, config.submissionLogRetentionDays, logger);
    submissionLogRetention.start();
    // Changes made through other instances (statuses, receipt keys) reach this one's caches.
    store.sharedState.onChange(async () => {
      await ArrangementAdmin.applyStoredStatuses(arrangements, store.admin);
      await receiptKeys.reload();
    });
    await store.sharedState.start();

    const { perAdministrationPerMinute, perClientPerMinute } = config.rateLimits;
    const intake = new MemberListIntake({
      verifier: new MemberListVerifier(partnerKeys, clock, config.jwsAlgorithms),
      ...(perAdministrationPerMinute > 0 ? { admit: rateLimitedAdmission(store.administrationLimiter(perAdministrationPerMinute, clock)) } : {}),
      schema: memberListSchema,
      arrangements,
      store: store.intakeStore((records) => relay.offer(records)),
      signer: receiptKeys,
      clock,
      limits: {
        maxMembers: config.maxMembers,
        maxClockSkewMs: config.maxClockSkewSeconds * 1000,
        maxMessageAgeMs: config.maxMessageAgeHours * 3_600_000,
      },
      gatewayVersion,
      onRecordsQueued: relay.notify,
      ensureCurrent: () => store.sharedState.ensureCurrent(),
      // Every submission whose signature verified, once decided (not those refused by the rate limit).
      recordSubmission: admin.submissions.record,
    });
    // The overview reads the broker and the outbox as readiness does, and the log and keys as the admin API does.
    const overview = new AdminOverview({
      arrangements: admin.arrangements,
      submissions: store.submissions,
      partnerKeys,
      outbox,
      broker: publisher,
      maxBacklogAgeSeconds: config.readyMaxBacklogAgeSeconds,
      clock,
    });
    let url = '';
    const app = createApp({
      intake,
      receiptKeys,
      logger,
      submissionLimits: {
        body: config.bodyLimits,
        budget: new BodyMemoryBudget(config.bodyLimits.maxBufferedBytes, BUSY_RETRY_AFTER_SECONDS),
        slots: new SubmissionSlots(config.bodyLimits.maxConcurrentLarge, LARGE_SUBMISSION_BYTES, BUSY_RETRY_AFTER_SECONDS),
      },
      admin: { ...admin, overview },
      register: {
        register: store.register,
        // CBP systems with the members:read role, partners for their own administration.
        readers: new MemberReaderAuthenticator({ adminKeys: admin.adminKeys, adminTokens: store.adminTokens, partnerKeys, partnerAlgorithms: config.jwsAlgorithms, clock, logger }),
        arrangements,
        // Reads show the arrangement's status as announced: no round trip per read while notifications flow.
        ensureCurrent: () => store.sharedState.ensureAnnounced(),
      },
      operations: { metrics, readiness: { store, broker: publisher, outbox, maxBacklogAgeSeconds: config.readyMaxBacklogAgeSeconds, config: { digest } } },
      limits: { perClientPerMinute, bodyIdleMs: config.timeouts.bodyIdleMs },
      clock,
      consoleDir: config.consoleDir,
      publicBaseUrl: () => config.publicBaseUrl ?? url,
    });
    // Slow clients: Node answers 408 and closes when the headers, or the whole request, take too long
    // (checked every few seconds); the app cuts off a body that stalls.
    const { headersMs, requestMs } = config.timeouts;
    const server = http.createServer({ headersTimeout: headersMs, requestTimeout: requestMs, connectionsCheckingInterval: Math.min(5_000, Math.max(100, headersMs / 4)) }, app);
    // Node's own refusals (malformed HTTP, headers too large or too slow) as problem documents too.
    server.on('clientError', answerClientErrors(logger));
    // Beyond this many open connections Node closes new ones at once, before reading anything.
    server.maxConnections = config.maxConnections;
    server.on('drop', logDroppedConnections(logger, config.maxConnections));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;
    logger.info('gateway listening', { url, store: store.kind, arrangements: arrangements.all().length, instanceId: heartbeat.instanceId, configDigest: digest });

    let closed = false;
    return {
      url,
      server,
      store,
      outbox,
      partnerKeys,
      publisher,
      relay,
      async close() {
        if (closed) return;
        closed = true;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await historyRetention.stop();
        await submissionLogRetention.stop();
        await relay.stop();
        await publisher.close();
        await heartbeat.stop();
        await store.close();
        logger.info('gateway stopped');
      },
    };
  } catch (error) {
    await heartbeat.stop();
    await store.close();
    throw error;
  }
}
