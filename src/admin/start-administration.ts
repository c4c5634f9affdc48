import type { Logger } from 'winston';
import { loadAdminKeys } from '../config/admin-key-file.js';
import type { ArrangementRegistry } from '../domain/arrangement.js';
import type { Clock } from '../domain/clock.js';
import type { ReceiptKeys } from '../receipts/receipt-keys.js';
import type { AdminStore, AdminTokenLedger } from './admin-store.js';
import { AdminAuthenticator } from './admin-authenticator.js';
import type { AdminKey } from './admin-key.js';
import type { AdminApi } from './admin-router.js';
import { ArrangementAdmin } from './arrangement-admin.js';
import { AuditLog } from './audit-log.js';
import { PartnerKeyAdmin } from './partner-key-admin.js';
import { ReceiptKeyAdmin } from './receipt-key-admin.js';
import { SubmissionLog, type SubmissionLogStore } from './submission-log.js';

export interface AdministrationDependencies {
  configDir: string;
  store: AdminStore;
  tokenLedger: AdminTokenLedger;
  /** The submission log's store (written by the intake through the returned `submissions`, read by the API). */
  submissionLog: SubmissionLogStore;
  arrangements: ArrangementRegistry;
  receiptKeys: ReceiptKeys;
  /** The partner algorithm allowlist: keys added through the admin API must fit it. */
  partnerKeyAlgorithms: readonly string[];
  clock: Clock;
  logger: Logger;
}

/**
 * Sets up administration (ICD 3): reads CONFIG_DIR/admin-keys.json (a malformed file stops start-up;
 * a missing one leaves the admin API refusing everything), puts the arrangement status changes kept in
 * the store in force, and builds the services the admin API calls (but the overview, which also needs
 * the broker: gateway.ts adds it).
 */
export async function startAdministration(deps: AdministrationDependencies): Promise<Omit<AdminApi, 'overview'> & { adminKeys: readonly AdminKey[] }> {
  const { store, arrangements, clock, logger } = deps;
  const adminKeys = loadAdminKeys(deps.configDir);
  if (adminKeys === undefined) {
    logger.warn('CONFIG_DIR/admin-keys.json does not exist: the admin API refuses every request until it is added and the gateway restarted');
  } else if (adminKeys.length === 0) {
    logger.warn('CONFIG_DIR/admin-keys.json lists no keys: the admin API refuses every request');
  } else {
    logger.info('administrator keys loaded', { kids: adminKeys.map((k) => k.kid) });
  }
  await ArrangementAdmin.applyStoredStatuses(arrangements, store);
  const audit = new AuditLog(store, clock, logger);
  return {
    adminKeys: adminKeys ?? [],
    authenticator: new AdminAuthenticator(adminKeys ?? [], deps.tokenLedger, clock, logger),
    arrangements: new ArrangementAdmin({ arrangements, store, audit, clock }),
    partnerKeys: new PartnerKeyAdmin({ arrangements, store, audit, clock, allowedAlgorithms: deps.partnerKeyAlgorithms }),
    receiptKeys: new ReceiptKeyAdmin({ receiptKeys: deps.receiptKeys, store, audit, clock }),
    audit,
    submissions: new SubmissionLog(deps.submissionLog, logger, clock),
  };
}
