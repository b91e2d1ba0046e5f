/**
 * `logpipe bench-queries`: the analysts' questions against rows. For each scale (rows over days)
 * it generates the data (10 files, each spread over the days, as hosts write), ingests it with
 * `logpipe run`, runs the nightly `logpipe maintain`, and times every question of the seed as
 * `logpipe query` runs it: N runs, each on a new connection, warm (one untimed run first),
 * planning included, rows kept as text (the time to the last row, not the client's parsing).
 * The same questions on the naive JSONB table are timed up to `naiveUpTo` rows and extrapolated
 * (linearly in rows: every one is a sequential scan) beyond, and marked so.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { generate } from '../generator/generate.js';
import { copyNaiveRows } from '../naive/load.js';
import { DEFAULT_WATCHED_PORTS } from '../logtypes/rollups.js';
import { INVESTIGATIONS, seedArgs, type BuiltQuery } from '../store/investigations.js';
import { committedTotals } from '../store/status.js';
import { dbUrl, dropDatabase, resetDatabase } from './database.js';
import { accessPath } from './explain.js';
import { runRole } from './roles.js';

export interface Scale {
  rows: number;
  days: number;
}

export interface QueryTiming {
  id: string;
  title: string;
  rows: number;
  p50: number;
  p95: number;
  access: string;
}

export interface ScaleResult {
  scale: Scale;
  ingestSeconds: number;
  /** pg_database_size / rows, after ingest and after `logpipe maintain`. */
  bytesPerRowIngested: number;
  bytesPerRow: number;
  logpipe: QueryTiming[];
  /** Measured on the naive table, or null where extrapolated. */
  naive: QueryTiming[] | null;
}

export interface QueryBenchOptions {
  databaseUrl: string;
  scales: Scale[];
  runs: number;
  naiveUpTo: number;
  dataRoot: string;
  dbPrefix: string;
  /** Keep (and use again) a scale's data and databases when already there. */
  reuse: boolean;
  workDir: string;
  log: (msg: string) => void;
}

const FILES = 10;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const label = (s: Scale) => `${s.rows >= 1e6 ? `${s.rows / 1e6}M` : s.rows.toLocaleString('en-US')} rows, ${s.days} day${s.days > 1 ? 's' : ''}`;

/** p50 and p95 of `runs` executions, each on a new connection after one untimed run. */
async function time(url: string, q: BuiltQuery, runs: number): Promise<{ p50: number; p95: number; rows: number }> {
  const connect = async () => {
    // Rows as text: the time measured is PostgreSQL's and the wire's, not the client's Date parsing.
    const c = new pg.Client({ connectionString: url, types: { getTypeParser: () => (v: string) => v } });
    await c.connect();
    return c;
  };
  const warm = await connect();
  const rows = (await warm.query(q.sql, q.params)).rowCount ?? 0;
  await warm.end();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = await connect();
    try {
      const t = performance.now();
      await c.query(q.sql, q.params);
      times.push(performance.now() - t);
    } finally {
      await c.end();
    }
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), rows };
}

/** Records committed in the database at `url`; -1 when it cannot be read (no such database). */
async function committedRows(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    return (await committedTotals(c)).records;
  } catch {
    return -1;
  } finally {
    await c.end().catch(() => {});
  }
}

export async function benchQueries(o: QueryBenchOptions): Promise<ScaleResult[]> {
  const results: ScaleResult[] = [];
  for (const scale of o.scales) {
    const tag = `${scale.rows}r${scale.days}d`;
    const name = `${o.dbPrefix}_${tag}`;
    let measured = false;
    try {
      results.push(await measureScale(o, scale, tag, name));
      measured = true;
    } finally {
      // Gigabytes at 10M rows and more: kept only when asked for, to be used again; dropped
      // also when the scale failed (its error is the one reported).
      if (!o.reuse) for (const db of [name, `${name}_naive`]) await dropDatabase(o.databaseUrl, db).catch((err) => { if (measured) throw err; });
    }
  }
  return results;
}

/** One scale: its data set (`qbench-<tag>`) generated if missing, ingested into database `name` unless already there, then timed. */
async function measureScale(o: QueryBenchOptions, scale: Scale, tag: string, name: string): Promise<ScaleResult> {
  const dataDir = resolve(o.dataRoot, `qbench-${tag}`);
  if (!existsSync(dataDir) || readdirSync(dataDir).length < FILES) {
    o.log(`generating ${label(scale)} into ${dataDir} …`);
    generate({ files: FILES, lines: Math.ceil(scale.rows / FILES), out: dataDir, seed: 42, dirty: 0, days: scale.days });
  }
  const files = readdirSync(dataDir).filter((f) => f.endsWith('.log')).sort().map((f) => join(dataDir, f));
  const url = dbUrl(o.databaseUrl, name);
  const dir = join(o.workDir, tag);
  mkdirSync(dir, { recursive: true });
  let ingestSeconds = NaN;
  let bytesPerRowIngested = NaN;
  const rows = FILES * Math.ceil(scale.rows / FILES);
  if (!o.reuse || (await committedRows(url)) !== rows) {
    await resetDatabase(o.databaseUrl, name);
    o.log(`ingesting ${label(scale)} with logpipe run …`);
    await runRole('init-db', ['init-db'], { DATABASE_URL: url }, dir);
    const started = performance.now();
    await runRole('run', ['run', '--no-summary', dataDir], { DATABASE_URL: url, LOGPIPE_METRICS_PORT: '0' }, dir);
    ingestSeconds = (performance.now() - started) / 1000;
    bytesPerRowIngested = await dbBytes(url, name) / rows;
    o.log(`maintain (compacting the closed days) …`);
    await runRole('maintain', ['maintain', '--before', '2099-01-01'], { DATABASE_URL: url }, dir);
  }
  const bytesPerRow = await dbBytes(url, name) / rows;
  o.log(`timing the questions at ${label(scale)} (${o.runs} runs each) …`);
  const logpipe: QueryTiming[] = [];
  const explain = new pg.Client({ connectionString: url });
  await explain.connect();
  try {
    for (const q of INVESTIGATIONS) {
      const built = q.build(seedArgs(q), DEFAULT_WATCHED_PORTS);
      const t = await time(url, built, o.runs);
      logpipe.push({ id: q.id, title: q.title, ...t, access: await accessPath(explain, built.sql, built.params) });
    }
  } finally {
    await explain.end();
  }
  let naive: QueryTiming[] | null = null;
  if (rows <= o.naiveUpTo) {
    const naiveName = `${name}_naive`;
    const naiveUrl = dbUrl(o.databaseUrl, naiveName);
    const fill = !o.reuse || (await naiveRows(naiveUrl)) <= 0;
    if (fill) await resetDatabase(o.databaseUrl, naiveName);
    naive = [];
    const c = new pg.Client({ connectionString: naiveUrl });
    await c.connect();
    try {
      if (fill) {
        o.log(`filling the naive JSONB table with ${label(scale)} (not timed) …`);
        await copyNaiveRows(c, files);
      }
      o.log(`timing the questions on the naive table …`);
      for (const q of INVESTIGATIONS) {
        if (!q.naive) continue; // a type the naive pipeline does not know
        const built = q.naive(seedArgs(q));
        const t = await time(naiveUrl, built, Math.min(o.runs, 3));
        naive.push({ id: q.id, title: q.title, ...t, access: await accessPath(c, built.sql, built.params) });
      }
    } finally {
      await c.end();
    }
  }
  return { scale, ingestSeconds, bytesPerRowIngested, bytesPerRow, logpipe, naive };
}

async function dbBytes(url: string, name: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(`SELECT pg_database_size($1)::bigint AS b`, [name])).rows[0].b;
  } finally {
    await c.end();
  }
}

async function naiveRows(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    return (await c.query(`SELECT count(*)::bigint AS n FROM logs`)).rows[0].n;
  } catch {
    return -1;
  } finally {
    await c.end().catch(() => {});
  }
}

/** The naive table's latency at `rows`, from the largest measured scale: linear in rows (sequential scans). */
export function extrapolateNaive(results: ScaleResult[], id: string, rows: number): number | null {
  const measured = results.filter((r) => r.naive).sort((a, b) => b.scale.rows - a.scale.rows)[0];
  const t = measured?.naive?.find((q) => q.id === id);
  return t ? (t.p50 * rows) / measured.scale.rows : null;
}
