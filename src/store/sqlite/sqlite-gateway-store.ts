import { systemClock, type Clock } from '../../domain/clock.js';
import { inMemoryAdministrationLimiter, type AdministrationLimiter } from '../../domain/intake/administration-admission.js';
import { TokenBuckets } from '../../domain/token-bucket.js';
import { SoleInstanceRegistry } from '../../operations/instance-registry.js';
import type { PendingRecord } from '../../outbox/outbox-ports.js';
import { SoleRelayLease } from '../../outbox/relay-lease.js';
import { unsharedState, type GatewayStore } from '../gateway-store.js';
import { SqliteAdminStore } from './sqlite-admin-store.js';
import { SqliteAdminTokenLedger } from './sqlite-admin-token-ledger.js';
import { SqliteDatabase } from './sqlite-database.js';
import { SqliteIntakeStore } from './sqlite-intake-store.js';
import { SqliteMemberHistory } from './sqlite-member-history.js';
import { SqliteMemberRegister } from './sqlite-member-register.js';
import { SqliteOutboxStore } from './sqlite-outbox-store.js';
import { SqlitePartnerKeyStore } from './sqlite-partner-key-store.js';
import { SqliteReceiptKeyStore } from './sqlite-receipt-key-store.js';
import { SqliteSubmissionLog } from './sqlite-submission-log.js';

/** The embedded store: one SQLite file in DATA_DIR, for one gateway process. */
export class SqliteGatewayStore implements GatewayStore {
  readonly kind = 'sqlite' as const;
  readonly partnerKeys: SqlitePartnerKeyStore;
  readonly receiptKeys: SqliteReceiptKeyStore;
  readonly admin: SqliteAdminStore;
  readonly adminTokens: SqliteAdminTokenLedger;
  readonly outbox: SqliteOutboxStore;
  readonly memberHistory: SqliteMemberHistory;
  readonly submissions: SqliteSubmissionLog;
  readonly register: SqliteMemberRegister;
  readonly sharedState = unsharedState;
  readonly relayLease = new SoleRelayLease();
  readonly instances = new SoleInstanceRegistry();

  private constructor(readonly database: SqliteDatabase) {
    this.partnerKeys = new SqlitePartnerKeyStore(database);
    this.receiptKeys = new SqliteReceiptKeyStore(database);
    this.admin = new SqliteAdminStore(database);
    this.adminTokens = new SqliteAdminTokenLedger(database);
    this.outbox = new SqliteOutboxStore(database);
    this.memberHistory = new SqliteMemberHistory(database);
    this.submissions = new SqliteSubmissionLog(database);
    this.register = new SqliteMemberRegister(database);
  }

  static open(dataDir: string): SqliteGatewayStore {
    return new SqliteGatewayStore(SqliteDatabase.open(dataDir));
  }

  intakeStore(onRecordsDurable?: (records: PendingRecord[]) => void): SqliteIntakeStore {
    return new SqliteIntakeStore(this.database, this.outbox.watermark, onRecordsDurable);
  }

  /** One process submits to an embedded store: its allowance per administration lives in memory. */
  administrationLimiter(perMinute: number, clock: Clock = systemClock): AdministrationLimiter {
    return inMemoryAdministrationLimiter(new TokenBuckets({ perMinute }), clock);
  }

  /** One process owns an embedded store: nothing else can start on it at the same time. */
  exclusively<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  isWritable(): Promise<boolean> {
    return this.database.isWritable();
  }

  close(): Promise<void> {
    return this.database.close();
  }
}
