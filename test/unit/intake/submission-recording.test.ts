import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SubmissionLog, submissionId, submissionView, type LoggedSubmission, type SubmissionLogStore } from '../../../src/admin/submission-log.js';
import { loadMraRegistry } from '../../../src/config/mra-registry-file.js';
import { ArrangementRegistry } from '../../../src/domain/arrangement.js';
import { systemClock } from '../../../src/domain/clock.js';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import type { IntakeStore } from '../../../src/domain/intake/intake-store.js';
import { MemberListIntake } from '../../../src/domain/intake/member-list-intake.js';
import { MAX_RECORDED_ERROR_TEXT, MAX_RECORDED_ERRORS, recordedProblem, type SubmissionRecord, type SubmissionRecorder } from '../../../src/domain/intake/submission-record.js';
import { MemberListVerifier } from '../../../src/domain/signature/member-list-verifier.js';
import { createLogger } from '../../../src/logging/logger.js';
import { storeUnavailable } from '../../../src/store/postgres/postgres-database.js';
import { SqliteDatabase } from '../../../src/store/sqlite/sqlite-database.js';
import { SqliteIntakeStore } from '../../../src/store/sqlite/sqlite-intake-store.js';
import { SqliteOutboxStore } from '../../../src/store/sqlite/sqlite-outbox-store.js';
import { SqlitePartnerKeyStore } from '../../../src/store/sqlite/sqlite-partner-key-store.js';
import { memberListSchema } from '../../../src/validation/json-schemas.js';
import { signCompact } from '../../support/jws.js';
import { euMember, memberList } from '../../support/member-lists.js';
import { createPartnerKey } from '../../support/partner-keys.js';
import { temporaryDirectories } from '../../support/temp-dirs.js';

const CONFIG_DIR = path.resolve(import.meta.dirname, '../../../config');
const dataDir = temporaryDirectories('submission-recording-');
const opened: SqliteDatabase[] = [];

afterEach(async () => {
  for (const database of opened.splice(0)) await database.close();
});

/** The intake on the real SQLite store, reporting to `recorder`; `admit` and `wrapStore` let a test refuse or fail. */
async function rig(recorder: SubmissionRecorder, options: { admit?: (administration: string) => Promise<void>; wrapStore?: (store: IntakeStore) => IntakeStore } = {}) {
  const database = SqliteDatabase.open(dataDir());
  opened.push(database);
  const key = await createPartnerKey('EU');
  const partnerKeys = new SqlitePartnerKeyStore(database);
  await partnerKeys.add([{ administration: 'EU', kid: key.kid, jwk: key.publicJwk, notBefore: null, notAfter: null, revokedAt: null, revocationReason: null, addedAt: new Date() }]);
  const store = new SqliteIntakeStore(database, new SqliteOutboxStore(database).watermark);
  const intake = new MemberListIntake({
    verifier: new MemberListVerifier(partnerKeys, systemClock, ['ES256']),
    schema: memberListSchema,
    arrangements: new ArrangementRegistry(loadMraRegistry(CONFIG_DIR)),
    store: options.wrapStore ? options.wrapStore(store) : store,
    signer: { sign: async (claims) => `receipt:${String(claims.outcome)}` },
    clock: systemClock,
    limits: { maxMembers: 1000, maxClockSkewMs: 300_000, maxMessageAgeMs: 72 * 3_600_000 },
    gatewayVersion: 'test',
    ...(options.admit ? { admit: options.admit } : {}),
    recordSubmission: recorder,
  });
  const submit = async (body: string) => intake.submit(Buffer.from(body), 'compact', { requestId: 'req-1' }).then((result) => result, (error: unknown) => error);
  return { key, db: database.db, submit };
}

describe('the intake reports each decided submission to the submission log', () => {
  it('reports accepted, replayed and rejected submissions, after the answer is decided and with what it said', async () => {
    const records: SubmissionRecord[] = [];
    const r = await rig(async (record) => {
      records.push(record);
    });
    const list = memberList([euMember()]);
    const body = await signCompact(list, r.key);
    const accepted = await r.submit(body);
    const replayed = await r.submit(body);
    const refused = await r.submit(await signCompact({ ...memberList([euMember()]), kind: 'everything' }, r.key));
    expect(accepted).toMatchObject({ status: 202 });
    expect(replayed).toMatchObject({ status: 200 });
    expect(refused).toBeInstanceOf(GatewayError);
    expect(records.map((record) => [record.outcome, record.status, record.messageId, record.receipt])).toEqual([
      ['accepted', 202, list.messageId, 'receipt:accepted'],
      ['replayed', 200, list.messageId, 'receipt:accepted'],
      ['rejected', 422, null, 'receipt:rejected'],
    ]);
    expect(records[0]).toMatchObject({ administration: 'EU', kid: r.key.kid, kind: 'snapshot', sequence: list.sequence, issuedAt: list.issuedAt, requestId: 'req-1', size: Buffer.byteLength(body), warnings: 0, problem: null });
    expect(records[2]!.problem).toMatchObject({ code: 'schema-violation', status: 422, errorCount: (refused as GatewayError).errors!.length });
  });

  it('does not report a refusal by the rate limit, nor one before the signature verified, nor a 5xx', async () => {
    const records: SubmissionRecord[] = [];
    const limited = await rig(
      async (record) => {
        records.push(record);
      },
      {
        admit: async () => {
          throw new GatewayError('rate-limited', 'too many', { extensions: { retryAfter: 3 } });
        },
      },
    );
    expect(await limited.submit(await signCompact(memberList([euMember()]), limited.key))).toMatchObject({ code: 'rate-limited', extensions: { receipt: 'receipt:rejected' } });
    expect(await limited.submit('a.b.c')).toMatchObject({ code: 'malformed-jws' });
    const down = await rig(
      async (record) => {
        records.push(record);
      },
      { wrapStore: (store) => ({ markedSnapshot: (a, l) => store.markedSnapshot(a, l), intake: async () => Promise.reject(storeUnavailable()) }) },
    );
    expect(await down.submit(await signCompact(memberList([euMember()]), down.key))).toMatchObject({ code: 'store-unavailable', status: 503 });
    expect(records).toEqual([]);
  });

  it('reports a key found unusable in the transaction as a rejection without a receipt', async () => {
    const records: SubmissionRecord[] = [];
    let revoke = () => undefined as unknown;
    const r = await rig(
      async (record) => {
        records.push(record);
      },
      {
        wrapStore: (store) => ({
          markedSnapshot: (a, l) => store.markedSnapshot(a, l),
          intake: (administration, work) => {
            revoke();
            return store.intake(administration, work);
          },
        }),
      },
    );
    revoke = () => r.db.prepare('UPDATE partner_keys SET revoked_at = ?, revocation_reason = ?').run(Date.now() - 1000, 'exposed');
    const refused = await r.submit(await signCompact(memberList([euMember()]), r.key));
    expect(refused).toMatchObject({ code: 'inactive-key', status: 401 });
    expect((refused as GatewayError).extensions.receipt).toBeUndefined();
    expect(records.map((record) => [record.outcome, record.status, record.receipt, record.problem?.code])).toEqual([['rejected', 401, null, 'inactive-key']]);
  });

  it('answers the partner as decided when the recorder fails', async () => {
    const r = await rig(async () => {
      throw new Error('the log is full');
    });
    expect(await r.submit(await signCompact(memberList([euMember()]), r.key))).toMatchObject({ status: 202 });
    expect(await r.submit(await signCompact({ ...memberList([euMember()]), kind: 'everything' }, r.key))).toMatchObject({ code: 'schema-violation', extensions: { receipt: 'receipt:rejected' } });
  });
});

describe('SubmissionLog', () => {
  const record: SubmissionRecord = {
    administration: 'EU',
    messageId: 'EU-1',
    kid: 'eu-1',
    kind: 'snapshot',
    sequence: 1,
    issuedAt: '2026-12-01T00:00:00Z',
    receivedAt: new Date('2026-12-01T00:00:01.234Z'),
    outcome: 'accepted',
    status: 202,
    problem: null,
    counts: { members: 1, added: 1, updated: 0, statusChanged: 0, removed: 0, unchanged: 0, notRecognized: 0 },
    warnings: 0,
    digest: 'd',
    payloadDigest: 'p',
    size: 10,
    durationMs: 1.23456,
    requestId: 'req-1',
    receipt: 'r',
  };

  it('logs a failed write at warn and never rejects', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(
      'debug',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>));
          done();
        },
      }),
    );
    const failing: SubmissionLogStore = {
      append: async () => Promise.reject(new Error('disk full')),
      find: async () => undefined,
      page: async () => [],
      prune: async () => 0,
      lastPerAdministration: async () => [],
      dailyCounts: async () => [],
    };
    await expect(new SubmissionLog(failing, logger).record(record)).resolves.toBeUndefined();
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', message: 'submission log write failed', administration: 'EU', messageId: 'EU-1', outcome: 'accepted', error: 'disk full' })]);
  });

  it('gives each entry a UUIDv7 of its receivedAt, and shows it as the API does', async () => {
    const appended: LoggedSubmission[] = [];
    const store: SubmissionLogStore = { append: async (e) => void appended.push(e), find: async () => undefined, page: async () => [], prune: async () => 0, lastPerAdministration: async () => [], dailyCounts: async () => [] };
    await new SubmissionLog(store, createLogger('error')).record(record);
    const id = appended[0]!.id;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(record.receivedAt.getTime());
    expect(submissionId(record.receivedAt, Buffer.alloc(16, 0xff))).toBe(`${id.slice(0, 13)}-7fff-bfff-ffffffffffff`);
    expect(submissionView(appended[0]!)).toMatchObject({ id, receivedAt: '2026-12-01T00:00:01.234Z', durationMs: 1.235, problem: null });
  });

  it('keeps the first errors of a rejection, each text cut between code points', () => {
    const errors = Array.from({ length: 30 }, (_, i) => ({ pointer: `/members/${i}`, detail: `${'x'.repeat(MAX_RECORDED_ERROR_TEXT - 2)}😀😀` }));
    const problem = recordedProblem('schema-violation', 422, 'The payload has 30 schema error(s).', errors);
    expect(problem.errors).toHaveLength(MAX_RECORDED_ERRORS);
    expect(problem.errorCount).toBe(30);
    for (const e of problem.errors) {
      expect(e.detail.length).toBeLessThanOrEqual(MAX_RECORDED_ERROR_TEXT);
      expect(e.detail.endsWith('…')).toBe(true);
      expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(e.detail)).toBe(false);
    }
  });
});
