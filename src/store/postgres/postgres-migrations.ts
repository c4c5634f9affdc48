import type pg from 'pg';
import type { Logger } from 'winston';
import type { Migration } from '../migration.js';
import { checkCompatible, oldestCompatibleAfter } from '../migration.js';
import { searchRowOfStored } from '../member-search-row.js';

/** Runs inside the migration's transaction, on the client that migrates. */
export type PostgresBackfill = (client: pg.PoolClient | pg.Client) => Promise<void>;

/** Held while migrating, so that instances starting together migrate exactly once. */
const MIGRATION_LOCK = 'mra-gateway:migrations';

/**
 * The shared store's schema, as an append-only list (never edit a shipped migration; add the next).
 * A migration is expand-only unless it says otherwise (`oldestCompatible`): the gateway version before
 * it keeps working on the migrated schema, so instances can be upgraded one at a time.
 *
 * Times the gateway compares are timestamptz; the RFC 3339 texts partners sent (issuedAt, receivedAt
 * as stated in receipts) are kept as text, exactly as they were received and receipted.
 */
export const postgresMigrations: readonly Migration<PostgresBackfill>[] = [
  {
    sql: `
    CREATE TABLE accepted_messages (
      administration text NOT NULL,
      message_id     text NOT NULL,
      digest         text NOT NULL,
      payload_digest text,
      kind           text NOT NULL CHECK (kind IN ('snapshot', 'delta')),
      sequence       bigint,
      issued_at      text NOT NULL,
      received_at    text NOT NULL,
      kid            text NOT NULL,
      receipt        text NOT NULL,
      PRIMARY KEY (administration, message_id)
    );

    CREATE TABLE administration_cursors (
      administration          text PRIMARY KEY,
      last_sequence           bigint,
      last_snapshot_issued_at text
    );

    CREATE TABLE members (
      administration text NOT NULL,
      member_id      text NOT NULL,
      fingerprint    text NOT NULL,
      member         text NOT NULL,
      PRIMARY KEY (administration, member_id)
    );

    CREATE TABLE snapshot_marks (
      administration text PRIMARY KEY,
      message_id     text NOT NULL,
      members_digest text NOT NULL,
      members_length bigint NOT NULL,
      rules_digest   text NOT NULL,
      received_at    text NOT NULL
    );

    -- Positions are drawn by the intake under its administration's lock, so within one administration
    -- seq order is commit order; across administrations it is not (see postgres-outbox-store.ts).
    CREATE TABLE outbox (
      seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_id       text NOT NULL,
      administration text NOT NULL,
      member_key     text NOT NULL,
      change         text NOT NULL,
      routing_key    text NOT NULL,
      occurred_at    text NOT NULL,
      body           text NOT NULL,
      created_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX outbox_by_administration ON outbox (administration, seq);

    -- Per administration: every record of it up to published_through is confirmed by the broker.
    CREATE TABLE outbox_cursors (
      administration    text PRIMARY KEY,
      published_through bigint NOT NULL
    );

    -- The relay lease: the holder of the session advisory lock publishes; epoch fences a holder that
    -- lost it (its writes of the cursors name the epoch they were granted under).
    CREATE TABLE relay_lease (
      id          int PRIMARY KEY CHECK (id = 1),
      epoch       bigint NOT NULL,
      holder      text,
      holder_pid  int,
      renewed_at  timestamptz
    );
    INSERT INTO relay_lease (id, epoch) VALUES (1, 0);

    CREATE TABLE partner_keys (
      administration    text NOT NULL,
      kid               text NOT NULL,
      jwk               text NOT NULL,
      not_before        timestamptz,
      not_after         timestamptz,
      revoked_at        timestamptz,
      revocation_reason text,
      added_at          timestamptz NOT NULL,
      PRIMARY KEY (administration, kid)
    );
    CREATE INDEX partner_keys_by_kid ON partner_keys (kid);

    CREATE TABLE receipt_keys (
      kid         text PRIMARY KEY,
      private_jwk text NOT NULL,
      public_jwk  text NOT NULL,
      created_at  timestamptz NOT NULL,
      retired_at  timestamptz
    );

    CREATE TABLE arrangement_status (
      administration text PRIMARY KEY,
      status         text NOT NULL CHECK (status IN ('active', 'suspended', 'terminated')),
      reason         text NOT NULL,
      changed_at     timestamptz NOT NULL,
      changed_by     text NOT NULL
    );

    CREATE TABLE admin_token_uses (
      kid        text NOT NULL,
      jti        text NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (kid, jti)
    );
    CREATE INDEX admin_token_uses_by_expiry ON admin_token_uses (expires_at);

    -- Append-only in the database itself: no code path, and no one with the gateway's credentials,
    -- can edit or delete what administrators did.
    CREATE TABLE audit_log (
      seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at             timestamptz NOT NULL,
      actor_kid      text NOT NULL,
      actor_sub      text NOT NULL,
      action         text NOT NULL,
      administration text,
      kid            text,
      before         text,
      after          text,
      reason         text,
      request_id     text
    );
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

    -- What every instance caches from the shared state (keys, arrangement statuses) has a version:
    -- any change bumps it and notifies, so an instance re-reads before it next relies on a cache.
    CREATE TABLE shared_state (
      id      int PRIMARY KEY CHECK (id = 1),
      version bigint NOT NULL
    );
    INSERT INTO shared_state (id, version) VALUES (1, 0);
    CREATE FUNCTION shared_state_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE shared_state SET version = version + 1 WHERE id = 1;
      PERFORM pg_notify('mra_shared_state', TG_TABLE_NAME);
      RETURN NULL;
    END $$;
    CREATE TRIGGER partner_keys_changed AFTER INSERT OR UPDATE OR DELETE ON partner_keys FOR EACH STATEMENT EXECUTE FUNCTION shared_state_changed();
    CREATE TRIGGER receipt_keys_changed AFTER INSERT OR UPDATE OR DELETE ON receipt_keys FOR EACH STATEMENT EXECUTE FUNCTION shared_state_changed();
    CREATE TRIGGER arrangement_status_changed AFTER INSERT OR UPDATE OR DELETE ON arrangement_status FOR EACH STATEMENT EXECUTE FUNCTION shared_state_changed();

    -- Live instances and the digest of their configuration files, to spot one that differs.
    CREATE TABLE gateway_instances (
      instance_id     text PRIMARY KEY,
      config_digest   text NOT NULL,
      gateway_version text NOT NULL,
      started_at      timestamptz NOT NULL,
      last_seen       timestamptz NOT NULL
    );
    `,
  },
  {
    // The per-administration rate limit shared by every instance (postgres-administration-limiter.ts):
    // exactly the table rate-limiter-flexible's RateLimiterPostgres would create for itself, made here
    // so that the schema stays under the migrations; the limiter is told it exists. expire is in ms
    // since the epoch, as the library writes it.
    sql: `
    CREATE TABLE IF NOT EXISTS mra_rate_limits (
      key    varchar(255) PRIMARY KEY,
      points integer NOT NULL DEFAULT 0,
      expire bigint
    );
    `,
  },
  {
    // 3: the register. Each member has a version (1 for the members already stored), a member removed
    // stays as removed (removed_at: the acceptance of the message that removed it), and every version is
    // kept in member_versions (the record that announced it), whatever the outbox keeps. A contract step:
    // a gateway from before would delete removed members and write no versions.
    sql: `
    ALTER TABLE members ADD COLUMN version bigint NOT NULL DEFAULT 1;
    ALTER TABLE members ADD COLUMN removed_at text;
    CREATE TABLE member_versions (
      administration text NOT NULL,
      member_id      text NOT NULL,
      version        bigint NOT NULL,
      change         text NOT NULL,
      received_at    text NOT NULL,
      message_id     text NOT NULL,
      record         text NOT NULL,
      PRIMARY KEY (administration, member_id, version)
    );
    `,
    oldestCompatible: 3,
  },
  {
    // 4: the register's listing and lookups. What it filters on sits in columns beside the member, and
    // what it looks up (MIDs, folded names) in member_lookups, so that a listing is an index range. The
    // values, and the members' keys the listing pages by, are compared in code point order (COLLATE
    // "C"), as on SQLite, whatever the database's locale: the listing's order and cursors are then the
    // same on both stores, and a name prefix is a plain index range. Every table the listing joins on
    // the key has the key in "C", or its primary key could not serve the join. members_current lets a
    // listing of current members walk them in key order even before statistics say how few are removed
    // (without them PostgreSQL guesses that IS NULL keeps 0.5% of rows, and sorts a scan instead). The
    // members already stored are indexed by the backfill (names are folded in code, not SQL). A
    // contract step: a gateway from before would write members without their search keys.
    sql: `
    ALTER TABLE members ALTER COLUMN administration TYPE text COLLATE "C", ALTER COLUMN member_id TYPE text COLLATE "C";
    ALTER TABLE member_versions ALTER COLUMN administration TYPE text COLLATE "C", ALTER COLUMN member_id TYPE text COLLATE "C";
    ALTER TABLE members ADD COLUMN id_scheme text;
    ALTER TABLE members ADD COLUMN status text;
    ALTER TABLE members ADD COLUMN recognized bigint;
    ALTER TABLE members ADD COLUMN country text;
    ALTER TABLE members ADD COLUMN roles text;
    CREATE INDEX members_by_member_id ON members (member_id);
    CREATE TABLE member_lookups (
      administration text COLLATE "C" NOT NULL,
      member_id      text COLLATE "C" NOT NULL,
      kind           text NOT NULL,
      value          text COLLATE "C" NOT NULL,
      PRIMARY KEY (administration, member_id, kind, value)
    );
    CREATE INDEX member_lookups_by_value ON member_lookups (kind, value, administration, member_id);
    CREATE INDEX members_current ON members (administration, member_id) WHERE removed_at IS NULL;
    `,
    oldestCompatible: 4,
    backfill: indexStoredMembers,
  },
  {
    // 5: the submission log (admin/submission-log.ts): every submission whose signature verified, with its
    // outcome, kept for SUBMISSION_LOG_RETENTION_DAYS. Listed newest first, so each index ends in
    // (received_at, id), the keyset order; ids compare by code point (COLLATE "C"), as on SQLite.
    // Expand only: a gateway from before writes no entries here.
    sql: `
    CREATE TABLE submission_log (
      id             text COLLATE "C" PRIMARY KEY,
      received_at    timestamptz NOT NULL,
      administration text NOT NULL,
      message_id     text,
      kid            text NOT NULL,
      kind           text,
      sequence       bigint,
      issued_at      text,
      outcome        text NOT NULL CHECK (outcome IN ('accepted', 'replayed', 'rejected')),
      status         bigint NOT NULL,
      problem        text,
      problem_detail text,
      errors         text,
      error_count    bigint,
      counts         text,
      warnings       bigint NOT NULL,
      digest         text NOT NULL,
      payload_digest text NOT NULL,
      size           bigint NOT NULL,
      duration_us    bigint NOT NULL,
      request_id     text,
      receipt        text
    );
    CREATE INDEX submission_log_by_time ON submission_log (received_at, id);
    CREATE INDEX submission_log_by_administration ON submission_log (administration, received_at, id);
    CREATE INDEX submission_log_by_message_id ON submission_log (message_id, received_at, id);
    CREATE INDEX submission_log_by_outcome ON submission_log (outcome, received_at, id);
    CREATE INDEX submission_log_by_problem ON submission_log (problem, received_at, id);
    `,
  },
];

/** Migration 4's backfill: the search keys of every member already stored, a thousand at a time. */
async function indexStoredMembers(client: pg.PoolClient | pg.Client): Promise<void> {
  let after: [string, string] = ['', ''];
  for (;;) {
    const { rows } = await client.query<{ administration: string; member_id: string; member: string }>(
      'SELECT administration, member_id, member FROM members WHERE (administration, member_id) > ($1, $2) ORDER BY administration, member_id LIMIT 1000',
      after,
    );
    for (const row of rows) {
      const search = searchRowOfStored(row.member);
      await client.query('UPDATE members SET id_scheme = $1, status = $2, recognized = $3, country = $4, roles = $5 WHERE administration = $6 AND member_id = $7', [
        ...search.columns,
        row.administration,
        row.member_id,
      ]);
      for (const [kind, value] of search.lookups) {
        await client.query('INSERT INTO member_lookups (administration, member_id, kind, value) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [row.administration, row.member_id, kind, value]);
      }
    }
    if (rows.length < 1000) return;
    after = [rows.at(-1)!.administration, rows.at(-1)!.member_id];
  }
}

/**
 * Applies the migrations this database has not seen, in one transaction under an advisory lock: an
 * instance that starts while another migrates waits, then finds nothing left to do.
 */
export async function migrate(client: pg.PoolClient | pg.Client, logger: Logger, migrations: readonly Migration<PostgresBackfill>[] = postgresMigrations): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version           int PRIMARY KEY,
      applied_at        timestamptz NOT NULL,
      oldest_compatible int NOT NULL
    )`);
    const { rows } = await client.query<{ version: number; oldest_compatible: number }>('SELECT version, oldest_compatible FROM schema_migrations ORDER BY version');
    checkCompatible(rows.length, Math.max(0, ...rows.map((r) => r.oldest_compatible)), migrations.length, 'the database in DATABASE_URL');
    for (let version = rows.length + 1; version <= migrations.length; version++) {
      await client.query(migrations[version - 1]!.sql);
      await migrations[version - 1]!.backfill?.(client);
      await client.query('INSERT INTO schema_migrations (version, applied_at, oldest_compatible) VALUES ($1, now(), $2)', [version, oldestCompatibleAfter(migrations, version)]);
    }
    await client.query('COMMIT');
    if (migrations.length > rows.length) logger.info('store migrated', { store: 'postgres', from: rows.length, to: migrations.length });
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
