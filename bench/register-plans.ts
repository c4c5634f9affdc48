/**
 * The register bench's query plans: the statements the gateway runs for a listing page and a lookup,
 * explained on the store as the bench left it (SQLite: EXPLAIN QUERY PLAN on the DATA_DIR file opened
 * read-only; PostgreSQL: EXPLAIN (ANALYZE, BUFFERS) on the bench's database, JIT off as in the gateway's
 * sessions). A plan that reads a whole table where it could search is flagged (scans); sorts are listed apart.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { listCursor, parseMemberListQuery } from '../src/register/member-list-query.js';
import type { MemberListQuery } from '../src/register/member-register-store.js';
import { memberListSql } from '../src/store/member-list-sql.js';

export type PlanTarget = { store: 'sqlite'; file: string } | { store: 'postgres'; url: string };

/** What the plans are asked for: values from what the bench stored. */
export interface PlanSample {
  /** A partner MID of one member. */
  mid: string;
  /** A MID the gateway derived, which many bench members share. */
  derivedMid: string;
  /** The last key of a page from the middle of the export. */
  after: { administration: string; memberId: string };
  /** A member's identifier, <scheme>:<value>. */
  identifier: string;
  /** An instant after the last intake: no member changed since. */
  changedSince: string;
}

/** One listing request, and the query the router hands the store for it (one row more than the page, to know there is a next). */
export interface PlannedQuery {
  name: string;
  request: string;
  query: MemberListQuery;
  /** A full read of the table in key order is the best plan (the first page of an unfiltered export: LIMIT stops it). */
  orderedScanAllowed?: boolean;
  /** Only reported: not one of the bench's targets. */
  informational?: boolean;
}

export interface PlanReport {
  name: string;
  request: string;
  sql: string;
  params: unknown[];
  plan: string[];
  /** Median time of 5 runs of the statement (SQLite), or the execution time EXPLAIN ANALYZE gives (PostgreSQL). */
  ms: number;
  rows: number;
  /** The plan lines that read a whole table (or index) where the query could search a range or a key. */
  scans: string[];
  /** The plan lines that sort: harmless when they sort the few rows a search found, not when they sort a range. */
  sorts: string[];
  usesIndexes: boolean;
  informational: boolean;
}

const ADMINISTRATIONS = new Set(['EU', 'GB', 'JP', 'MX', 'KR']);

function planned(name: string, request: string, options: Pick<PlannedQuery, 'orderedScanAllowed' | 'informational'> = {}): PlannedQuery {
  const parsed = parseMemberListQuery(Object.fromEntries(new URLSearchParams(request.slice(request.indexOf('?') + 1))), (code) => ADMINISTRATIONS.has(code));
  return { name, request, query: { ...parsed, limit: parsed.limit + 1 }, ...options };
}

/**
 * The export's pages and the MID lookup (the bench's targets), then the other filters of the listing,
 * for the record: each walks members in key order and filters, so a rare or absent value reads much of
 * the table before a page is full.
 */
export function plannedQueries(sample: PlanSample): PlannedQuery[] {
  const cursor = listCursor(sample.after.administration, sample.after.memberId);
  const info = { informational: true };
  return [
    planned('export, first page', 'GET /v1/members?limit=1000', { orderedScanAllowed: true }),
    planned(`export, the page after ${sample.after.administration}:${sample.after.memberId}`, `GET /v1/members?limit=1000&cursor=${cursor}`),
    planned(`export of one administration, the page after ${sample.after.administration}:${sample.after.memberId}`, `GET /v1/members?administration=${sample.after.administration}&limit=1000&cursor=${cursor}`, info),
    planned('MID lookup (a partner MID, one member)', `GET /v1/members?mid=${sample.mid}`),
    planned('MID lookup (a derived MID many bench members share)', `GET /v1/members?mid=${sample.derivedMid}`, info),
    planned('identifier', `GET /v1/members?identifier=${sample.identifier}`, info),
    planned('name prefix (195 members)', 'GET /v1/members?name=Nordic%20Global%20GmbH%2015', info),
    planned('name prefix of one letter (1 in 15 members)', 'GET /v1/members?name=n', info),
    planned('administration', 'GET /v1/members?administration=MX', info),
    planned('status (1 in 97 suspended)', 'GET /v1/members?status=suspended', info),
    planned('status none has', 'GET /v1/members?status=revoked', info),
    planned('country', 'GET /v1/members?country=FR', info),
    planned('role', 'GET /v1/members?role=carrier', info),
    planned('recognized=false', 'GET /v1/members?recognized=false', info),
    planned('changedSince after the last intake (nothing changed)', `GET /v1/members?changedSince=${sample.changedSince}`, info),
    planned('administration and status', 'GET /v1/members?administration=JP&status=suspended', info),
  ];
}

/** The statement and its values as the store builds them (src/store/member-list-sql.ts). */
function listStatement(store: 'sqlite' | 'postgres', query: MemberListQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const sql = memberListSql(query, (value) => {
    params.push(value);
    return store === 'sqlite' ? '?' : `$${params.length}`;
  });
  return { sql: sql.replace(/\s+/g, ' '), params };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function sqlitePlans(file: string, queries: PlannedQuery[]): PlanReport[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return queries.map((q) => {
      const { sql, params } = listStatement('sqlite', q.query);
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { id: number; parent: number; detail: string }[];
      const depth = new Map<number, number>([[0, -1]]);
      const plan = rows.map((row) => {
        const d = (depth.get(row.parent) ?? -1) + 1;
        depth.set(row.id, d);
        return `${'  '.repeat(d)}${row.detail}`;
      });
      const statement = db.prepare(sql);
      const times: number[] = [];
      let count = 0;
      for (let run = 0; run < 5; run++) {
        const started = performance.now();
        count = statement.all(...params).length;
        times.push(performance.now() - started);
      }
      // SCAN t: the whole table (or, with USING INDEX, the whole index) in order; SEARCH is a range or a key.
      // A subquery's rows are read back from its co-routine ("CO-ROUTINE m", then "SCAN m"): no table is scanned there.
      const coroutines = new Set(plan.flatMap((line) => /^\s*CO-ROUTINE (\S+)/.exec(line)?.[1] ?? []));
      const readBack = (line: string) => coroutines.has(/^SCAN (\S+)$/.exec(line)?.[1] ?? '');
      const scans = plan.filter((line) => /^\s*SCAN\b/.test(line) && !readBack(line) && !q.orderedScanAllowed);
      const sorts = plan.filter((line) => /\bUSE TEMP B-TREE\b/.test(line));
      return { name: q.name, request: q.request, sql, params, plan, ms: Number(median(times).toFixed(2)), rows: count, scans, sorts, usesIndexes: scans.length === 0, informational: q.informational ?? false };
    });
  } finally {
    db.close();
  }
}

async function postgresPlans(url: string, queries: PlannedQuery[]): Promise<PlanReport[]> {
  const client = new pg.Client({ connectionString: url, options: '-c jit=off' });
  await client.connect();
  try {
    const reports: PlanReport[] = [];
    for (const q of queries) {
      const { sql, params } = listStatement('postgres', q.query);
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
      const plan = rows.map((row) => row['QUERY PLAN']);
      const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan.join('\n'))?.[1] ?? NaN);
      const count = Number(/^(?:->\s*)?\S.*?actual time=[\d.]+\.\.[\d.]+ rows=(\d+)/.exec(plan[0]!.trim())?.[1] ?? NaN);
      // A Seq Scan reads the whole table.
      const scans = plan.filter((line) => /Seq Scan on/.test(line));
      const sorts = plan.filter((line) => /^(->\s*)?(Incremental )?Sort\b/.test(line.trim()));
      reports.push({ name: q.name, request: q.request, sql, params, plan, ms, rows: count, scans, sorts, usesIndexes: scans.length === 0, informational: q.informational ?? false });
    }
    return reports;
  } finally {
    await client.end();
  }
}

export interface PlansReport {
  /** PostgreSQL: when the planner's statistics of the register's tables were last gathered (the bench runs no ANALYZE of its own). */
  statistics?: Record<string, unknown>[];
  queries: PlanReport[];
}

async function postgresStatistics(url: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT relname AS table, n_live_tup AS "liveRows", last_analyze AS "lastAnalyze", last_autoanalyze AS "lastAutoanalyze"
       FROM pg_stat_user_tables WHERE relname IN ('members', 'member_versions', 'member_lookups') ORDER BY relname`,
    );
    return rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** The plans of the bench's queries on `target`, with the planner's statistics as they were (PostgreSQL). */
export async function queryPlans(target: PlanTarget, sample: PlanSample): Promise<PlansReport> {
  const queries = plannedQueries(sample);
  if (target.store === 'sqlite') return { queries: sqlitePlans(target.file, queries) };
  return { statistics: await postgresStatistics(target.url), queries: await postgresPlans(target.url, queries) };
}
