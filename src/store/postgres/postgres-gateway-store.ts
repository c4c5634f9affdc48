import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'winston';
import type { DatabaseConfig } from '../../config/app-config.js';
import type { GatewayStore } from '../gateway-store.js';
import { PostgresAdministrationLimiter } from './postgres-administration-limiter.js';
import { PostgresAdminStore } from './postgres-admin-store.js';
import { PostgresAdminTokenLedger } from './postgres-admin-token-ledger.js';
import { PostgresDatabase } from './postgres-database.js';
import { PostgresInstanceRegistry } from './postgres-instance-registry.js';
import { PostgresIntakeStore } from './postgres-intake-store.js';
import { PostgresMemberHistory } from './postgres-member-history.js';
import { PostgresMemberStatistics } from './postgres-member-statistics.js';
import { PostgresMemberRegister } from './postgres-member-register.js';
import { PostgresOutboxStore } from './postgres-outbox-store.js';
import { PostgresPartnerKeyStore } from './postgres-partner-key-store.js';
import { PostgresReceiptKeyStore } from './postgres-receipt-key-store.js';
import { PostgresRelayLease, type RelayLeaseTiming } from './postgres-relay-lease.js';
import { PostgresSharedState } from './postgres-shared-state.js';
import { PostgresSubmissionLog } from './postgres-submission-log.js';

/** Start-up work two instances must not do at once holds this transaction advisory lock. */
export const STARTUP_LOCK = 'mra-gateway:startup';

/** The shared store on PostgreSQL: any number of gateway instances on one database. */
export class PostgresGatewayStore implements GatewayStore {
  readonly kind = 'postgres' as const;
  /** This process among the instances sharing the store (logs, the relay lease, the instance list). */
  readonly instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly partnerKeys: PostgresPartnerKeyStore;
  readonly receiptKeys: PostgresReceiptKeyStore;
  readonly admin: PostgresAdminStore;
  readonly adminTokens: PostgresAdminTokenLedger;
  readonly outbox: PostgresOutboxStore;
  readonly memberHistory: PostgresMemberHistory;
  readonly submissions: PostgresSubmissionLog;
  readonly register: PostgresMemberRegister;
  readonly sharedState: PostgresSharedState;
  readonly relayLease: PostgresRelayLease;
  readonly instances: PostgresInstanceRegistry;
  private readonly intake: PostgresIntakeStore;
  readonly memberStatistics: PostgresMemberStatistics;

  private constructor(
    readonly database: PostgresDatabase,
    private readonly logger: Logger,
    leaseTiming?: RelayLeaseTiming,
  ) {
    this.partnerKeys = new PostgresPartnerKeyStore(database);
    this.receiptKeys = new PostgresReceiptKeyStore(database);
    this.admin = new PostgresAdminStore(database);
    this.adminTokens = new PostgresAdminTokenLedger(database);
    this.memberHistory = new PostgresMemberHistory(database);
    this.submissions = new PostgresSubmissionLog(database);
    this.register = new PostgresMemberRegister(database);
    this.sharedState = new PostgresSharedState(database, logger);
    this.relayLease = new PostgresRelayLease(database, this.instanceId, logger, leaseTiming);
    this.outbox = new PostgresOutboxStore(database, () => this.relayLease.currentEpoch);
    this.memberStatistics = new PostgresMemberStatistics(database, logger);
    this.intake = new PostgresIntakeStore(database, this.memberStatistics);
    this.instances = new PostgresInstanceRegistry(database, this.instanceId);
  }

  static async open(config: DatabaseConfig, logger: Logger, leaseTiming?: RelayLeaseTiming): Promise<PostgresGatewayStore> {
    return new PostgresGatewayStore(await PostgresDatabase.open(config, logger), logger, leaseTiming);
  }

  /**
   * Another instance may commit records: this instance's relay reads them from the store (the records
   * of its own commits are not handed over from memory, whoever publishes).
   */
  intakeStore(): PostgresIntakeStore {
    return this.intake;
  }

  /** Counted in the database (table mra_rate_limits), so the allowance is shared by every instance. */
  administrationLimiter(perMinute: number): PostgresAdministrationLimiter {
    return new PostgresAdministrationLimiter(this.database.pool, perMinute, this.logger);
  }

  exclusively<T>(work: () => Promise<T>): Promise<T> {
    // The lock is held on its own connection while `work` uses others: a session of its own, not the work's.
    return this.database.transaction(() => work(), STARTUP_LOCK);
  }

  isWritable(): Promise<boolean> {
    return this.database.isWritable();
  }

  async close(): Promise<void> {
    await this.sharedState.stop();
    await this.memberStatistics.settled();
    await this.database.close();
  }
}
