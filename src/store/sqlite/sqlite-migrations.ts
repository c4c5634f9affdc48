import type Database from 'better-sqlite3';
import type { Migration } from '../migration.js';
import { searchRowOfStored } from '../member-search-row.js';

/**
 * The store's schema, as an append-only list: a database records how many it has applied, and start-up
 * applies the rest in one transaction. Never edit a shipped migration; add the next one.
 */
const steps: readonly string[] = [
  `
  CREATE TABLE accepted_messages (
    administration TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    digest         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    sequence       INTEGER,
    issued_at      TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    kid            TEXT NOT NULL,
    receipt        TEXT NOT NULL,
    PRIMARY KEY (administration, message_id)
  ) WITHOUT ROWID;

  CREATE TABLE administration_cursors (
    administration          TEXT PRIMARY KEY,
    last_sequence           INTEGER,
    last_snapshot_issued_at TEXT
  ) WITHOUT ROWID;

  CREATE TABLE members (
    administration TEXT NOT NULL,
    member_id      TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    member         TEXT NOT NULL,
    PRIMARY KEY (administration, member_id)
  ) WITHOUT ROWID;

  CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL,
    administration TEXT NOT NULL,
    member_key     TEXT NOT NULL,
    change         TEXT NOT NULL,
    routing_key    TEXT NOT NULL,
    occurred_at    TEXT NOT NULL,
    body           BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    published_at   INTEGER
  );
  CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
  CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

  CREATE TABLE partner_keys (
    administration    TEXT NOT NULL,
    kid               TEXT NOT NULL,
    jwk               TEXT NOT NULL,
    not_before        INTEGER,
    not_after         INTEGER,
    revoked_at        INTEGER,
    revocation_reason TEXT,
    added_at          INTEGER NOT NULL,
    PRIMARY KEY (administration, kid)
  ) WITHOUT ROWID;
  CREATE INDEX partner_keys_by_kid ON partner_keys (kid);

  CREATE TABLE receipt_keys (
    kid         TEXT PRIMARY KEY,
    private_jwk TEXT NOT NULL,
    public_jwk  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
  ) WITHOUT ROWID;
  `,
  // 2: administration (ICD 3). Arrangement status changes override mras.json; admin token ids are kept
  // until the token would have expired, to refuse replays; the audit log is append-only here, in the
  // database, so no code path (and no future endpoint) can edit or delete what administrators did.
  `
  CREATE TABLE arrangement_status (
    administration TEXT PRIMARY KEY,
    status         TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'terminated')),
    reason         TEXT NOT NULL,
    changed_at     INTEGER NOT NULL,
    changed_by     TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE admin_token_uses (
    kid        TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (kid, jti)
  ) WITHOUT ROWID;
  CREATE INDEX admin_token_uses_by_expiry ON admin_token_uses (expires_at);

  CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    actor_kid      TEXT NOT NULL,
    actor_sub      TEXT NOT NULL,
    action         TEXT NOT NULL,
    administration TEXT,
    kid            TEXT,
    before         TEXT,
    after          TEXT,
    reason         TEXT,
    request_id     TEXT
  );
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
  END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
  END;
  `,
  // 3: the relay records how far the outbox is confirmed as one number instead of stamping every row.
  // Stamping rewrote each record's page a second time and kept two indexes up to date on every insert;
  // seq order is publish order, so "every record up to N is confirmed" says the same, in one row.
  // Records stay for the retention period after intake (created_at), then are pruned.
  // snapshot_marks: per administration, what identifies the members text behind its current state
  // (domain/intake/snapshot-repeat.ts), so an identical snapshot is recognized without re-parsing it.
  `
  CREATE TABLE outbox_cursor (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    published_through  INTEGER NOT NULL
  );
  INSERT INTO outbox_cursor (id, published_through)
    SELECT 1, COALESCE((SELECT MIN(seq) - 1 FROM outbox WHERE published_at IS NULL), (SELECT MAX(seq) FROM outbox), 0);
  DROP INDEX outbox_unpublished;
  DROP INDEX outbox_published;
  ALTER TABLE outbox DROP COLUMN published_at;

  CREATE TABLE snapshot_marks (
    administration TEXT PRIMARY KEY,
    message_id     TEXT NOT NULL,
    members_digest TEXT NOT NULL,
    members_length INTEGER NOT NULL,
    rules_digest   TEXT NOT NULL,
    received_at    TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 4: replays are judged by the signed payload, not the body (rule 7). Expand only: a nullable column,
  // so a gateway that does not know it still reads and writes the table (its rows get NULL). A NULL
  // payload digest (a message stored before this, or by such a gateway) is judged by the body digest.
  `
  ALTER TABLE accepted_messages ADD COLUMN payload_digest TEXT;
  `,
  // 5: from this version on the gateway seals receipt private keys at rest (receipts/receipt-key-sealing.ts)
  // right after migrating. A gateway from before cannot read a sealed key, so this step, though it
  // changes no table, is a contract step: such a gateway is refused with a clear message instead of
  // failing on the first receipt it signs.
  `
  CREATE TABLE receipt_key_sealing (since TEXT NOT NULL);
  INSERT INTO receipt_key_sealing (since) VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
  `,
  // 6: the register. Each member has a version (1 for the members already stored), a member removed
  // stays as removed (removed_at: the acceptance of the message that removed it), and every version
  // is kept in member_versions (the record that announced it), whatever the outbox keeps. A contract
  // step: a gateway from before would delete removed members and write no versions.
  `
  ALTER TABLE members ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE members ADD COLUMN removed_at TEXT;
  CREATE TABLE member_versions (
    administration TEXT NOT NULL,
    member_id      TEXT NOT NULL,
    version        INTEGER NOT NULL,
    change         TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    record         TEXT NOT NULL,
    PRIMARY KEY (administration, member_id, version)
  ) WITHOUT ROWID;
  `,
  // 7: the register's listing and lookups. What it filters on sits in columns beside the member, and
  // what it looks up (MIDs, folded names) in member_lookups, so that a listing is an index range. The
  // members already stored are indexed by the backfill below (names are folded in code, not SQL). A
  // contract step: a gateway from before would write members without their search keys.
  `
  ALTER TABLE members ADD COLUMN id_scheme TEXT;
  ALTER TABLE members ADD COLUMN status TEXT;
  ALTER TABLE members ADD COLUMN recognized INTEGER;
  ALTER TABLE members ADD COLUMN country TEXT;
  ALTER TABLE members ADD COLUMN roles TEXT;
  CREATE INDEX members_by_member_id ON members (member_id);
  CREATE TABLE member_lookups (
    administration TEXT NOT NULL,
    member_id      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    value          TEXT NOT NULL,
    PRIMARY KEY (administration, member_id, kind, value)
  ) WITHOUT ROWID;
  CREATE INDEX member_lookups_by_value ON member_lookups (kind, value);
  `,
  // 8: the submission log (admin/submission-log.ts): every submission whose signature verified, with its
  // outcome, kept for SUBMISSION_LOG_RETENTION_DAYS. Listed newest first, so each index ends in
  // (received_at, id), the keyset order. Expand only: a gateway from before writes no entries here.
  `
  CREATE TABLE submission_log (
    id             TEXT PRIMARY KEY,
    received_at    INTEGER NOT NULL,
    administration TEXT NOT NULL,
    message_id     TEXT,
    kid            TEXT NOT NULL,
    kind           TEXT,
    sequence       INTEGER,
    issued_at      TEXT,
    outcome        TEXT NOT NULL CHECK (outcome IN ('accepted', 'replayed', 'rejected')),
    status         INTEGER NOT NULL,
    problem        TEXT,
    problem_detail TEXT,
    errors         TEXT,
    error_count    INTEGER,
    counts         TEXT,
    warnings       INTEGER NOT NULL,
    digest         TEXT NOT NULL,
    payload_digest TEXT NOT NULL,
    size           INTEGER NOT NULL,
    duration_us    INTEGER NOT NULL,
    request_id     TEXT,
    receipt        TEXT
  );
  CREATE INDEX submission_log_by_time ON submission_log (received_at, id);
  CREATE INDEX submission_log_by_administration ON submission_log (administration, received_at, id);
  CREATE INDEX submission_log_by_message_id ON submission_log (message_id, received_at, id);
  CREATE INDEX submission_log_by_outcome ON submission_log (outcome, received_at, id);
  CREATE INDEX submission_log_by_problem ON submission_log (problem, received_at, id);
  `,
];

/**
 * Contract steps: 3 dropped outbox.published_at, which gateways that knew 2 steps still wrote; 5 marks
 * the receipt keys sealed, which gateways that knew 4 steps cannot read; 6 keeps removed members, which
 * gateways that knew 5 steps would take for current ones; 7 indexes members as they are written, which
 * gateways that knew 6 steps would not.
 */
const CONTRACT_STEPS: ReadonlySet<number> = new Set([3, 5, 6, 7]);

/** Runs inside the migration's transaction, on the connection that migrates. */
export type SqliteBackfill = (db: Database.Database) => void;

const BACKFILLS: Readonly<Record<number, SqliteBackfill>> = { 7: indexStoredMembers };

export const migrations: readonly Migration<SqliteBackfill>[] = steps.map((sql, i) => ({
  sql,
  ...(CONTRACT_STEPS.has(i + 1) ? { oldestCompatible: i + 1 } : {}),
  ...(BACKFILLS[i + 1] ? { backfill: BACKFILLS[i + 1] } : {}),
}));

/** Step 7's backfill: the search keys of every member already stored, a thousand at a time. */
function indexStoredMembers(db: Database.Database): void {
  const page = db.prepare('SELECT administration, member_id, member FROM members WHERE (administration, member_id) > (?, ?) ORDER BY administration, member_id LIMIT 1000');
  const update = db.prepare('UPDATE members SET id_scheme = ?, status = ?, recognized = ?, country = ?, roles = ? WHERE administration = ? AND member_id = ?');
  const lookup = db.prepare('INSERT OR IGNORE INTO member_lookups (administration, member_id, kind, value) VALUES (?, ?, ?, ?)');
  let after: [string, string] = ['', ''];
  for (;;) {
    const rows = page.all(...after) as { administration: string; member_id: string; member: string }[];
    for (const row of rows) {
      const search = searchRowOfStored(row.member);
      update.run(...search.columns, row.administration, row.member_id);
      for (const [kind, value] of search.lookups) lookup.run(row.administration, row.member_id, kind, value);
    }
    if (rows.length < 1000) return;
    after = [rows.at(-1)!.administration, rows.at(-1)!.member_id];
  }
}
