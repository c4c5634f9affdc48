import path from 'node:path';

/** Everything the gateway reads from its environment. Nothing else in the code reads process.env. */
export interface AppConfig {
  port: number;
  host: string;
  /** The broker nodes of AMQP_URL (comma-separated), in the order the publisher tries them. */
  amqpUrls: string[];
  /** The first of amqpUrls, for callers that talk to a single node. */
  amqpUrl: string;
  configDir: string;
  dataDir: string;
  /** The administrators' web console, a static build (CONSOLE_DIR, index.html and assets/), served under /console/. */
  consoleDir: string;
  /** The shared PostgreSQL store (DATABASE_URL); undefined: the embedded SQLite store in dataDir. */
  database: DatabaseConfig | undefined;
  /**
   * The key-encryption key that seals the receipt private keys in the store (receipts/key-encryption-key.ts
   * reads it); undefined: neither setting, so DATA_DIR/receipt-key-encryption.key (embedded store only).
   */
  receiptKeyEncryption: ReceiptKeyEncryptionConfig | undefined;
  logLevel: 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';
  topology: { exchange: string; queue: string; deadLetterExchange: string; deadLetterQueue: string };
  /** What a member-list request may cost before its sender is known (see http/request-body.ts). */
  bodyLimits: {
    maxBytes: number;
    maxEncodedBytes: number;
    maxExpansionRatio: number;
    /** All request bodies in memory at once. */
    maxBufferedBytes: number;
    /** Large member lists verified and processed at once. */
    maxConcurrentLarge: number;
  };
  /** Where clients reach the gateway (no trailing slash); undefined: its own listening address. */
  publicBaseUrl: string | undefined;
  /** Open client connections; beyond it new connections are closed at once. */
  maxConnections: number;
  maxMembers: number;
  maxMessageAgeHours: number;
  maxClockSkewSeconds: number;
  jwsAlgorithms: string[];
  /** /readyz reports not ready when the oldest unpublished outbox record is older than this. */
  readyMaxBacklogAgeSeconds: number;
  /** Requests per minute (sustained, and the burst) by client address and by authenticated administration; 0: no limit. */
  rateLimits: { perClientPerMinute: number; perAdministrationPerMinute: number };
  /** Slow clients: all headers within headersMs, the whole request within requestMs, no body byte for bodyIdleMs. */
  timeouts: { headersMs: number; requestMs: number; bodyIdleMs: number };
  /** How often the instance reports itself and its configuration digest to the store (INSTANCE_HEARTBEAT_SECONDS). */
  instanceHeartbeatMs: number;
  /** How long member versions are kept in the history (MEMBER_HISTORY_RETENTION_DAYS); undefined: forever. */
  memberHistoryRetentionDays: number | undefined;
  /** How long the submission log keeps an entry (SUBMISSION_LOG_RETENTION_DAYS); undefined: forever. */
  submissionLogRetentionDays: number | undefined;
}

export interface DatabaseConfig {
  url: string;
  /** Connections this instance keeps open at most (DATABASE_POOL_SIZE). */
  poolSize: number;
  /**
   * How long the relay lease lasts unrenewed (RELAY_LEASE_SECONDS): a relay whose instance died is
   * taken over within about this long; it is renewed five times as often.
   */
  relayLeaseMs: number;
}

/** RECEIPT_KEY_ENCRYPTION_KEY_FILE (the file, read at start-up) or RECEIPT_KEY_ENCRYPTION_KEY (the key's 32 bytes). */
export type ReceiptKeyEncryptionConfig = { file: string } | { key: Buffer };

export class ConfigError extends Error {
  constructor(readonly field: string, message: string) {
    super(`Configuration ${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Algorithms a partner may sign with. `none` and HMAC are never possible, whatever is configured. */
export const SUPPORTED_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'] as const;

/**
 * Where `npm run build` writes the console: dist/console two levels above this file, both in src/ and in
 * dist/. Not relative to the working directory like CONFIG_DIR: the console is part of the build, not
 * of a deployment.
 */
const DEFAULT_CONSOLE_DIR = path.resolve(import.meta.dirname, '../../dist/console');

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
const AMQP_NAME = /^[A-Za-z0-9._:-]{1,255}$/;

type Env = Record<string, string | undefined>;

/**
 * Reads and checks the configuration. A bad value stops start-up with an error that names the field,
 * so an operator never runs a gateway that silently ignored a setting.
 */
export function loadConfig(env: Env): AppConfig {
  const amqpUrls = amqpUrlList(env);
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: text(env, 'HOST', '0.0.0.0'),
    amqpUrls,
    amqpUrl: amqpUrls[0]!,
    configDir: path.resolve(text(env, 'CONFIG_DIR', './config')),
    dataDir: path.resolve(text(env, 'DATA_DIR', './data')),
    consoleDir: path.resolve(text(env, 'CONSOLE_DIR', DEFAULT_CONSOLE_DIR)),
    database: database(env),
    receiptKeyEncryption: receiptKeyEncryption(env),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    topology: {
      exchange: amqpName(env, 'AMQP_EXCHANGE', 'cbp.mra.members', false),
      queue: amqpName(env, 'AMQP_QUEUE', 'cbp.risk.members', true),
      deadLetterExchange: amqpName(env, 'AMQP_DEAD_LETTER_EXCHANGE', 'cbp.mra.members.dlx', false),
      deadLetterQueue: amqpName(env, 'AMQP_DEAD_LETTER_QUEUE', 'cbp.risk.members.dlq', false),
    },
    bodyLimits: bodyLimits(env),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 512, 1, 1_000_000),
    publicBaseUrl: publicBaseUrl(env),
    maxMembers: integer(env, 'MAX_MEMBERS', 250_000, 1, 250_000),
    maxMessageAgeHours: integer(env, 'MAX_MESSAGE_AGE_HOURS', 72, 1, 24 * 365),
    maxClockSkewSeconds: integer(env, 'MAX_CLOCK_SKEW_SECONDS', 300, 0, 3600),
    jwsAlgorithms: algorithms(env),
    readyMaxBacklogAgeSeconds: integer(env, 'READY_MAX_BACKLOG_AGE_SECONDS', 300, 1, 7 * 86_400),
    rateLimits: {
      perClientPerMinute: integer(env, 'RATE_LIMIT_PER_CLIENT_PER_MINUTE', 600, 0, 1_000_000),
      perAdministrationPerMinute: integer(env, 'RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE', 120, 0, 1_000_000),
    },
    timeouts: timeouts(env),
    instanceHeartbeatMs: integer(env, 'INSTANCE_HEARTBEAT_SECONDS', 10, 1, 300) * 1000,
    // 0 (the default) keeps every version for good: what CBP knew on the day of an entry stays answerable.
    memberHistoryRetentionDays: integer(env, 'MEMBER_HISTORY_RETENTION_DAYS', 0, 0, 36_500) || undefined,
    // 400 days by default: a year of submissions and the month around its anniversary; 0 keeps them for good.
    submissionLogRetentionDays: integer(env, 'SUBMISSION_LOG_RETENTION_DAYS', 400, 0, 36_500) || undefined,
  };
}

function bodyLimits(env: Env): AppConfig['bodyLimits'] {
  const maxBytes = integer(env, 'MAX_BODY_BYTES', 200 * 1024 * 1024, 1024, 2 ** 31 - 1);
  const maxBufferedBytes = integer(env, 'MAX_BUFFERED_BODY_BYTES', Math.max(512 * 1024 * 1024, maxBytes), 1024, 2 ** 40);
  // A budget below one body would refuse every list of the largest size the gateway accepts.
  if (maxBufferedBytes < maxBytes) throw new ConfigError('MAX_BUFFERED_BODY_BYTES', `${maxBufferedBytes} is below MAX_BODY_BYTES (${maxBytes})`);
  return {
    maxBytes,
    maxEncodedBytes: integer(env, 'MAX_ENCODED_BODY_BYTES', Math.min(64 * 1024 * 1024, maxBytes), 1024, 2 ** 31 - 1),
    maxExpansionRatio: integer(env, 'MAX_BODY_EXPANSION_RATIO', 200, 1, 10_000),
    maxBufferedBytes,
    maxConcurrentLarge: integer(env, 'MAX_CONCURRENT_LARGE_SUBMISSIONS', 2, 1, 1000),
  };
}

function publicBaseUrl(env: Env): string | undefined {
  const value = env.PUBLIC_BASE_URL;
  if (value === undefined || value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('PUBLIC_BASE_URL', 'is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('PUBLIC_BASE_URL', `scheme must be https or http, not ${url.protocol}`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') throw new ConfigError('PUBLIC_BASE_URL', 'must not have a query, a fragment or credentials');
  return url.toString().replace(/\/+$/, '');
}

function timeouts(env: Env): AppConfig['timeouts'] {
  const headers = integer(env, 'HEADERS_TIMEOUT_SECONDS', 30, 1, 600);
  const request = integer(env, 'REQUEST_TIMEOUT_SECONDS', 600, 1, 24 * 3600);
  const bodyIdle = integer(env, 'BODY_IDLE_TIMEOUT_SECONDS', 30, 1, 3600);
  // Node refuses a headers timeout above the request timeout; say so in the operator's terms.
  if (request < headers) throw new ConfigError('REQUEST_TIMEOUT_SECONDS', `${request} is below HEADERS_TIMEOUT_SECONDS (${headers})`);
  return { headersMs: headers * 1000, requestMs: request * 1000, bodyIdleMs: bodyIdle * 1000 };
}

function text(env: Env, field: string, fallback: string): string {
  const value = env[field];
  if (value === undefined || value === '') return fallback;
  return value;
}

function integer(env: Env, field: string, fallback: number, min: number, max: number): number {
  const raw = env[field];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(field, `"${raw}" is not a whole number`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(field, `${value} is outside ${min}..${max}`);
  return value;
}

function oneOf<T extends string>(env: Env, field: string, fallback: T, allowed: readonly T[]): T {
  const value = env[field];
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(field, `"${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

function amqpName(env: Env, field: string, fallback: string, mayBeEmpty: boolean): string {
  const value = env[field];
  if (value === undefined) return fallback;
  if (value === '' && mayBeEmpty) return '';
  if (!AMQP_NAME.test(value)) throw new ConfigError(field, `"${value}" is not a valid exchange or queue name`);
  return value;
}

/**
 * AMQP_URL names one broker node or several, comma-separated (a comma inside a URL must be written
 * %2C). An error names the node by its position, since the value itself holds passwords.
 */
function amqpUrlList(env: Env): string[] {
  const elements = text(env, 'AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672').split(',').map((element) => element.trim());
  return elements.map((value, index) => {
    const which = elements.length > 1 ? `node ${index + 1} ` : '';
    if (value === '') throw new ConfigError('AMQP_URL', `${which || 'the URL '}is empty`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError('AMQP_URL', `${which}is not a URL`);
    }
    if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw new ConfigError('AMQP_URL', `${which}scheme must be amqp or amqps, not ${url.protocol}`);
    return value;
  });
}

function database(env: Env): DatabaseConfig | undefined {
  const value = env.DATABASE_URL;
  if (value === undefined || value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new ConfigError('DATABASE_URL', `scheme must be postgres or postgresql, not ${url.protocol}`);
  if (url.pathname.length <= 1) throw new ConfigError('DATABASE_URL', 'must name a database (postgres://host/<database>)');
  return { url: value, poolSize: integer(env, 'DATABASE_POOL_SIZE', 5, 2, 100), relayLeaseMs: integer(env, 'RELAY_LEASE_SECONDS', 5, 1, 300) * 1000 };
}

function receiptKeyEncryption(env: Env): ReceiptKeyEncryptionConfig | undefined {
  const file = env.RECEIPT_KEY_ENCRYPTION_KEY_FILE ?? '';
  const key = env.RECEIPT_KEY_ENCRYPTION_KEY ?? '';
  if (file !== '' && key !== '') throw new ConfigError('RECEIPT_KEY_ENCRYPTION_KEY', 'and RECEIPT_KEY_ENCRYPTION_KEY_FILE are both set: set one of them');
  if (file !== '') return { file: path.resolve(file) };
  if (key !== '') {
    // Never quote the value: it is the key.
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(key)) throw new ConfigError('RECEIPT_KEY_ENCRYPTION_KEY', 'is not base64 (generate one with: openssl rand -base64 32)');
    const bytes = Buffer.from(key, 'base64');
    if (bytes.length !== 32) throw new ConfigError('RECEIPT_KEY_ENCRYPTION_KEY', `must be 32 bytes, base64, not ${bytes.length} bytes (generate one with: openssl rand -base64 32)`);
    return { key: bytes };
  }
  // Every instance on a shared store must open the keys the others sealed: none may make up its own.
  if ((env.DATABASE_URL ?? '') !== '') {
    throw new ConfigError('RECEIPT_KEY_ENCRYPTION_KEY_FILE', 'or RECEIPT_KEY_ENCRYPTION_KEY is required with DATABASE_URL: every gateway instance on the shared store needs the same key-encryption key');
  }
  return undefined;
}

/** A URL without its password, for logs. */
function redactedUrl(value: string): string {
  const url = new URL(value);
  if (url.password) url.password = '***';
  return url.toString();
}

/** A database URL without its password, for logs. */
export const redactedDatabaseUrl = redactedUrl;

function algorithms(env: Env): string[] {
  const raw = text(env, 'JWS_ALGORITHMS', 'ES256,ES384,PS256,EdDSA');
  const list = raw.split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (list.length === 0) throw new ConfigError('JWS_ALGORITHMS', 'needs at least one algorithm');
  for (const alg of list) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new ConfigError('JWS_ALGORITHMS', `"${alg}" is not allowed (choose from ${SUPPORTED_ALGORITHMS.join(', ')})`);
    }
  }
  return list;
}

/** The AMQP URL, or comma-separated list of them (as AMQP_URL may be), without any password, for logs. */
export function redactedAmqpUrl(value: string): string {
  return value
    .split(',')
    .map((element) => redactedUrl(element.trim()))
    .join(',');
}
