import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubmissionPage, SubmissionView } from '../../src/admin/submission-log.js';
import { pastTime } from '../../src/cli/admin/admin-commands.js';
import { runAdminTool } from '../../src/cli/admin/admin-tool.js';
import { captureIo } from '../support/cli-capture.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: unknown;
}

async function cli(...argv: string[]): Promise<CliRun> {
  const io = captureIo();
  const code = await runAdminTool(argv, io, {});
  const [stdout, stderr] = [io.out(), io.err()];
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

describe('mra admin submissions', () => {
  let dir: string;
  let keyFile: string;
  let euKey: PartnerSigningKey;
  let test: TestGateway;
  const connection = () => ['--gateway-url', test.gateway.url, '--key', keyFile, '--sub', 'ops@cbp.example'];
  const submit = async (body: unknown) => test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(body, euKey));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mra-admin-submissions-'));
    keyFile = path.join(dir, 'auditor.jwk');
    // An auditor's key: it reads the log like every admin role.
    const keygen = await cli('keygen', '--key', keyFile, '--kid', 'auditor-2026', '--roles', 'audit');
    expect(keygen.code).toBe(0);
    euKey = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [euKey], adminKeys: [keygen.json as object] });
    expect((await submit(memberList([euMember()]))).status).toBe(202);
    expect((await submit({ ...memberList([euMember()]), kind: 'everything' })).status).toBe(422);
    expect((await submit(memberList([euMember({ legalName: 'Later GmbH' })]))).status).toBe(202);
  });

  afterAll(async () => {
    await disposeTestGateway(test);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the log newest first, with filters, and follows the pages with --cursor or --all', async () => {
    const all = await cli('submissions', ...connection());
    expect(all.code, all.stderr).toBe(0);
    const entries = (all.json as SubmissionPage).submissions;
    expect(entries.map((e) => [e.outcome, e.status])).toEqual([
      ['accepted', 202],
      ['rejected', 422],
      ['accepted', 202],
    ]);

    const rejected = await cli('submissions', '--outcome', 'rejected', '--administration', 'EU', '--problem', 'schema-violation', ...connection());
    expect((rejected.json as SubmissionPage).submissions.map((e) => e.id)).toEqual([entries[1]!.id]);

    const first = await cli('submissions', '--limit', '2', ...connection());
    const firstPage = first.json as SubmissionPage;
    expect(firstPage.submissions.map((e) => e.id)).toEqual([entries[0]!.id, entries[1]!.id]);
    expect(firstPage.next).toEqual(expect.any(String));
    const second = await cli('submissions', '--limit', '2', '--cursor', firstPage.next!, ...connection());
    expect(second.json).toEqual({ submissions: [entries[2]], next: null });

    const followed = await cli('submissions', '--all', '--limit', '1', ...connection());
    expect(followed.json).toEqual({ submissions: entries, next: null });

    const messageId = entries[0]!.messageId!;
    expect((await cli('submissions', '--message-id', messageId, ...connection())).json).toEqual({ submissions: [entries[0]], next: null });
    expect(((await cli('submissions', '--from', '-1h', ...connection())).json as SubmissionPage).submissions).toHaveLength(3);
    expect(((await cli('submissions', '--to', '2020-01-01', ...connection())).json as SubmissionPage).submissions).toEqual([]);
    expect(((await cli('submissions', '--from', entries[1]!.receivedAt, '--to', entries[0]!.receivedAt, ...connection())).json as SubmissionPage).submissions).toEqual([entries[1]]);
  });

  it('shows one submission, with the connection options before or after its id', async () => {
    const { submissions } = (await cli('submissions', ...connection())).json as SubmissionPage;
    const rejected = submissions.find((e) => e.outcome === 'rejected')!;
    const shown = await cli('submissions', 'show', rejected.id, ...connection());
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json).toEqual(rejected);
    expect((shown.json as SubmissionView).problem).toMatchObject({ type: 'urn:mra-gateway:problem:schema-violation', status: 422 });
    expect((await cli('submissions', ...connection(), 'show', rejected.id)).json).toEqual(rejected);

    const unknown = await cli('submissions', 'show', '01890000-0000-7000-8000-000000000000', ...connection());
    expect(unknown.code).toBe(6);
    expect(unknown.json).toMatchObject({ type: 'urn:mra-gateway:problem:submission-not-found', status: 404 });
  });

  it('refuses usage errors with exit code 2 without calling the gateway, and prints a refusal with exit code 6', async () => {
    for (const argv of [
      ['submissions', '--from', 'yesterday'],
      ['submissions', '--outcome', 'lost'],
      ['submissions', 'show'],
      ['submissions', 'everything'],
    ]) {
      const run = await cli(...argv, ...connection());
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
    }
    const refused = await cli('submissions', '--limit', '5000', ...connection());
    expect(refused.code).toBe(6);
    expect(refused.json).toMatchObject({ type: 'urn:mra-gateway:problem:invalid-request', errors: [{ pointer: '/limit' }] });
  });

  it('explains both commands with --help', async () => {
    const list = await cli('submissions', '--help');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^Usage: mra admin submissions/);
    for (const option of ['--administration', '--message-id', '--outcome', '--problem', '--from', '--to', '--limit', '--cursor', '--all', '--gateway-url']) expect(list.stdout).toContain(option);
    expect(list.stdout).toContain('show');
    const show = await cli('submissions', 'show', '--help');
    expect(show.stdout).toMatch(/^Usage: mra admin submissions show/);
  });

  it('reads times as RFC 3339, a date, or a time ago', () => {
    const now = new Date('2026-12-02T12:00:00Z');
    expect(pastTime('2026-12-01T08:00:00+01:00', '--from', now)).toBe('2026-12-01T08:00:00+01:00');
    expect(pastTime('2026-12-01', '--from', now)).toBe('2026-12-01T00:00:00Z');
    expect(pastTime('-24h', '--from', now)).toBe('2026-12-01T12:00:00.000Z');
    expect(pastTime('-7d', '--from', now)).toBe('2026-11-25T12:00:00.000Z');
    expect(() => pastTime('last week', '--from', now)).toThrow(/--from "last week" is not a time/);
  });
});
