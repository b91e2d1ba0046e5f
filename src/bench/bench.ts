/**
 * `logpipe bench`: the naive pipeline, logpipe over Redis (separate processes), logpipe `run`
 * (one process) and PostgreSQL's own COPY of the same parsed rows, one after another on the same
 * data and server, each from a reset state, with a live progress display. Every contender runs in
 * databases and Redis keys of its own, so the benchmark never touches anyone else's data.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { Redis } from 'ioredis';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { fileName, generate } from '../generator/generate.js';
import { LOG_TYPES } from '../logtypes/registry.js';
import { copyNaiveRows } from '../naive/load.js';
import { naiveParse } from '../naive/parse.js';
import { createNaiveTable } from '../naive/schema.js';
import { deletePrefixedKeys, queueKeys } from '../queue/keys.js';
import { sleep } from '../queue/types.js';
import { createPool, withClient } from '../store/db.js';
import { PartitionManager } from '../store/partitions.js';
import { DEFAULT_WATCHED_PORTS } from '../logtypes/rollups.js';
import { INVESTIGATIONS, seedArgs } from '../store/investigations.js';
import { copySqlFor } from '../store/copy.js';
import { initDb } from '../store/init.js';
import { tableColumns } from '../store/schema.js';
import { cpuSince, median, postgresCpuProbe, processUsage, readUsage, spawnRole, type Role } from './measure.js';
import { summarize, writeReport, type BenchReport, type ContenderRun, type QueryLatency } from './report.js';

export interface BenchOptions {
  databaseUrl: string;
  redisUrl: string;
  dataDir: string;
  files: number;
  linesPerFile: number;
  seed: number;
  /** Lines the naive pipeline is given (its per-row cost is constant). */
  naiveLines: number;
  repeat: number;
  /** Processor processes for logpipe over Redis. */
  processors: number;
  queryRuns: number;
  outDir: string;
  /** Database name prefix: <prefix> for logpipe, <prefix>_naive for the naive table. */
  dbPrefix: string;
  keyPrefix: string;
  /** Config file handed to every logpipe role (chunk, batch and concurrency settings to compare). */
  configFile?: string;
  command: string;
  skip: Set<string>;
}

interface Sample {
  rows: number;
  /** Input lines fully handled (committed), for the completion check. */
  lines: number;
  queue: number;
}

/**
 * Progress polling: fine for the seconds-long logpipe runs, finer still over their last 10% (the
 * end is seen when a poll sees it: at most FINAL_POLL_MS late), coarser for the naive one.
 */
const POLL_MS = 25;
const FINAL_POLL_MS = 5;
const NAIVE_POLL_MS = 100;
const STALL_MS = 120_000;

function dbUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = '/' + name;
  return u.toString();
}

async function resetDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
}

function countLines(path: string): number {
  const buf = readFileSync(path);
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  if (buf.length > 0 && buf[buf.length - 1] !== 10) n++;
  return n;
}

/** Polls `sample` until `done`, driving the progress bar and recording rows over time. */
async function watch(
  label: string,
  total: number,
  sample: () => Promise<Sample>,
  done: (s: Sample) => boolean,
  crashed: () => string | null,
  pollMs = POLL_MS,
): Promise<{ wallSeconds: number; timeline: [number, number][]; last: Sample }> {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(28)} |{bar}| {value}/{total} rows | queue {queue} | {rate} rows/s | {secs} s`,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      hideCursor: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  const timeline: [number, number][] = [];
  bar.start(total, 0, { queue: 0, rate: 0, secs: '0.0' });
  let lastChange = started;
  let lastRows = -1;
  try {
    for (;;) {
      // The poll's start: what it sees was committed before it looked.
      const t = (performance.now() - started) / 1000;
      const s = await sample();
      timeline.push([Number(t.toFixed(3)), s.rows]);
      bar.update(s.rows, { queue: s.queue, rate: t > 0 ? Math.round(s.rows / t).toLocaleString('en-US') : 0, secs: t.toFixed(1) });
      if (done(s)) return { wallSeconds: t, timeline, last: s };
      if (s.rows !== lastRows) {
        lastRows = s.rows;
        lastChange = performance.now();
      }
      const why = crashed();
      if (why) throw new Error(`${label}: ${why}`);
      if (performance.now() - lastChange > STALL_MS) throw new Error(`${label}: no progress for ${STALL_MS / 1000} s`);
      await sleep(pollMs === POLL_MS && s.rows >= 0.9 * total ? FINAL_POLL_MS : pollMs);
    }
  } finally {
    bar.stop();
  }
}

/** Waits until a service role is ready (`check`), failing early if it exits. */
async function untilReady(what: string, role: Role, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 30_000;
  while (!(await check())) {
    if (role.child.exitCode !== null) throw new Error(`${what} exited with code ${role.child.exitCode} before it was ready (see its log)`);
    if (Date.now() > end) throw new Error(`${what} not ready after 30 s`);
    await sleep(10);
  }
}

function exitedBadly(roles: Role[]): () => string | null {
  const codes = new Map<string, number | null>();
  for (const r of roles) r.child.on('exit', (code, signal) => codes.set(r.name, signal ? -1 : code));
  return () => {
    for (const [name, code] of codes) if (code !== 0) return `${name} exited with ${code === -1 ? 'a signal' : `code ${code}`} (see its log)`;
    return null;
  };
}

/**
 * Ends a contender: `finishing` roles (reader, run) exit by themselves once everything is
 * committed and are waited for (a SIGTERM could land while they are already exiting, and kill
 * them); `services` (processors) are sent SIGTERM. Every one must exit with code 0.
 */
async function stopRoles(finishing: Role[], services: Role[] = []): Promise<void> {
  for (const r of services) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  const late = setTimeout(() => finishing.forEach((r) => r.child.kill('SIGTERM')), 30_000);
  const roles = [...finishing, ...services];
  const codes = await Promise.all(roles.map((r) => r.exited));
  clearTimeout(late);
  codes.forEach((c, i) => {
    if (c !== 0) throw new Error(`${roles[i].name} exited with ${c === null ? 'a signal' : `code ${c}`}`);
  });
}

async function onDiskBytes(client: pg.ClientBase, schemas: string[]): Promise<number> {
  const r = await client.query(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm') AND n.nspname = ANY($1)`,
    [schemas],
  );
  return r.rows[0].b;
}

const LOGPIPE_SCHEMAS = ['public', 'logpipe', 'logpipe_partitions'];

async function committed(pool: pg.Pool): Promise<{ rows: number; lines: number }> {
  try {
    const r = await pool.query(`SELECT coalesce(sum(records), 0)::bigint AS rows, coalesce(sum(line_count), 0)::bigint AS lines FROM logpipe.chunks`);
    return r.rows[0];
  } catch (err) {
    if ((err as { code?: string }).code === '42P01' || (err as { code?: string }).code === '3F000') return { rows: 0, lines: 0 };
    throw err;
  }
}

/** Access path of a query's plan: a rollup, an index, or a sequential scan of a log table. */
export async function accessPath(client: pg.ClientBase, sql: string, params: unknown[]): Promise<string> {
  const plan = (await client.query(`EXPLAIN (VERBOSE, FORMAT JSON) ${sql}`, params)).rows[0]['QUERY PLAN'];
  const nodes: { type: string; schema?: string }[] = [];
  const walk = (n: { 'Node Type': string; Schema?: string; Plans?: unknown[] }) => {
    nodes.push({ type: n['Node Type'], schema: n.Schema });
    for (const c of n.Plans ?? []) walk(c as typeof n);
  };
  walk(plan[0].Plan);
  const rollup = nodes.some((n) => n.schema === 'logpipe');
  const seqOnLogs = nodes.some((n) => n.type === 'Seq Scan' && n.schema !== 'logpipe');
  const index = nodes.some((n) => n.type.includes('Index') && n.schema !== 'logpipe');
  const parts = [...(rollup ? ['rollup'] : []), ...(index ? ['index'] : []), ...(seqOnLogs ? ['seq scan'] : [])];
  return parts.join(' + ') || nodes[nodes.length - 1].type;
}

async function timeQuery(client: pg.ClientBase, sql: string, params: unknown[], runs: number): Promise<{ ms: number; rows: number }> {
  let rows = (await client.query(sql, params)).rowCount ?? 0; // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    rows = (await client.query(sql, params)).rowCount ?? 0;
    times.push(performance.now() - t);
  }
  return { ms: median(times), rows };
}

export class Bench {
  private readonly work: string;
  private readonly redis: Redis;
  private readonly files: string[];
  private readonly totalLines: number;
  private readonly naiveDb: string;
  private readonly logpipeDb: string;
  /** (b)'s parsed rows as COPY files, their days and count: what the floors load. */
  private floorDump: { dir: string; days: number[]; rows: number } | null = null;
  private readonly notes: string[] = [];
  queries: QueryLatency[] = [];
  private naiveQueryMs = new Map<string, { ms: number; access: string }>();

  constructor(private readonly o: BenchOptions) {
    mkdirSync(o.outDir, { recursive: true });
    this.work = mkdtempSync(join(tmpdir(), 'logpipe-bench-'));
    this.redis = new Redis(o.redisUrl);
    this.naiveDb = `${o.dbPrefix}_naive`;
    this.logpipeDb = o.dbPrefix;
    this.files = Array.from({ length: o.files }, (_, i) => resolve(o.dataDir, fileName(i)));
    if (!this.files.every((f) => existsSync(f))) {
      process.stderr.write(`generating ${o.files} × ${o.linesPerFile.toLocaleString('en-US')} lines into ${o.dataDir} …\n`);
      generate({ files: o.files, lines: o.linesPerFile, out: o.dataDir, seed: o.seed, dirty: 0 });
    }
    this.totalLines = this.files.reduce((a, f) => a + countLines(f), 0);
  }

  /** The roles' environment: the bench's data, keys and databases; other settings from --config. */
  private env(extra: Record<string, string> = {}): Record<string, string> {
    const config: Record<string, string> = this.o.configFile ? { LOGPIPE_CONFIG: resolve(this.o.configFile) } : {};
    return { ...config, LOG_DIR: resolve(this.o.dataDir), LOGPIPE_QUEUE_PREFIX: this.o.keyPrefix, ...extra };
  }

  private roleDir(repeat: number, id: string): string {
    const d = join(this.work, `r${repeat}-${id}`);
    mkdirSync(d, { recursive: true });
    return d;
  }

  private subset: { lines: number; expected: number } | null = null;

  /** The naive run's input: the first naiveLines non-empty lines, and how many its parsers accept. */
  private async naiveSubset(): Promise<{ lines: number; expected: number }> {
    if (this.subset) return this.subset;
    let lines = 0;
    let expected = 0;
    for (const f of this.files) {
      for await (const raw of createInterface({ input: createReadStream(f), crlfDelay: Infinity })) {
        const line = raw.trim();
        if (!line) continue;
        if (lines === this.o.naiveLines) break;
        lines++;
        if (naiveParse(line)) expected++;
      }
      if (lines === this.o.naiveLines) break;
    }
    return (this.subset = { lines, expected });
  }

  /** (a) The seed's pipeline on the first `naiveLines` lines. */
  async naive(repeat: number): Promise<ContenderRun> {
    const list = `${this.o.keyPrefix}:log_queue`;
    await resetDatabase(this.o.databaseUrl, this.naiveDb);
    await this.redis.del(list);
    const url = dbUrl(this.o.databaseUrl, this.naiveDb);
    const { lines, expected } = await this.naiveSubset();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await createNaiveTable(client); // so the progress query has a table from the start
      const pgCpu = await postgresCpuProbe(client);
      const dir = this.roleDir(repeat, 'naive');
      const env = this.env({ DATABASE_URL: url, REDIS_URL: this.o.redisUrl });
      const processor = spawnRole('naive-processor', ['naive', 'processor', '--list', list], env, dir);
      // Like a service, the processor is up and waiting (in BRPOP) before the clock starts.
      await untilReady('naive processor', processor, async () => String(await this.redis.client('LIST')).includes('cmd=brpop'));
      const pgCpuUsed = cpuSince(pgCpu);
      const reader = spawnRole('naive-reader', ['naive', 'reader', '--once', '--list', list, '--max-lines', String(this.o.naiveLines)], env, dir);
      const crashed = exitedBadly([processor, reader]);
      const w = await watch(
        `(a) naive, ${lines.toLocaleString('en-US')} lines`,
        expected,
        async () => {
          // max(id) reads the primary key's last entry: the same as count(*) here (no rollbacks), without a scan.
          const rows = (await client.query('SELECT coalesce(max(id), 0)::int AS n FROM logs')).rows[0].n;
          return { rows, lines: rows, queue: await this.redis.llen(list) };
        },
        (s) => s.rows >= expected,
        crashed,
        NAIVE_POLL_MS,
      );
      const postgresCpuSeconds = pgCpuUsed();
      await stopRoles([reader], [processor]);
      const ur = readUsage(reader);
      const up = readUsage(processor);
      const bytes = await onDiskBytes(client, ['public']);
      const run: ContenderRun = {
        id: 'naive', label: '(a) naive (seed pipeline)', lines, rows: w.last.rows, wallSeconds: w.wallSeconds,
        processes: [ur, up].map((u) => processUsage(u)),
        postgresCpuSeconds,
        queue: { messages: ur.counters.messages, bytes: ur.counters.queueBytes },
        bytesPerRow: bytes / w.last.rows,
        timeline: w.timeline,
      };
      if (repeat === 1) await this.naiveQueries(client, lines);
      return run;
    } finally {
      await client.end();
    }
  }

  /** Fills the naive table to the whole data set (untimed, same parser) and times the queries on it. */
  private async naiveQueries(client: pg.Client, skipLines: number): Promise<void> {
    if (this.o.skip.has('queries')) return;
    process.stderr.write('filling the naive table to the whole data set for the query comparison (not timed) …\n');
    await copyNaiveRows(client, this.files, skipLines);
    for (const q of INVESTIGATIONS) {
      const { sql, params } = q.naive(seedArgs(q));
      const t = await timeQuery(client, sql, params, this.o.queryRuns);
      this.naiveQueryMs.set(q.id, { ms: t.ms, access: await accessPath(client, sql, params) });
    }
  }

  /** (b) logpipe: reader and processors as separate processes over Redis Streams. */
  async logpipeRedis(repeat: number): Promise<ContenderRun> {
    await resetDatabase(this.o.databaseUrl, this.logpipeDb);
    await deletePrefixedKeys(this.redis, this.o.keyPrefix);
    const url = dbUrl(this.o.databaseUrl, this.logpipeDb);
    const pool = createPool(url, 2);
    try {
      await withClient(pool, initDb); // the schema exists before the clock starts, as for the floor
      const cpuProbe = await withClient(pool, postgresCpuProbe);
      const dir = this.roleDir(repeat, 'redis');
      const env = this.env({ DATABASE_URL: url, REDIS_URL: this.o.redisUrl });
      const processors = Array.from({ length: this.o.processors }, (_, i) => spawnRole(`processor-${i + 1}`, ['processor'], env, dir));
      const stream = queueKeys(this.o.keyPrefix).stream;
      // The processors are services: up and waiting in XREADGROUP before the clock starts.
      await untilReady('processors', processors[0], async () => String(await this.redis.client('LIST')).split('cmd=xreadgroup').length - 1 >= this.o.processors);
      const pgCpuUsed = cpuSince(cpuProbe);
      const reader = spawnRole('reader', ['reader'], env, dir);
      const w = await watch(
        `(b) logpipe, Redis, ${this.o.processors} proc.`,
        this.totalLines,
        async () => ({ ...(await committed(pool)), queue: await this.redis.xlen(stream) }),
        (s) => s.lines >= this.totalLines,
        exitedBadly([...processors, reader]),
      );
      const postgresCpuSeconds = pgCpuUsed();
      await stopRoles([reader], processors);
      const usages = [reader, ...processors].map(readUsage);
      const bytes = await withClient(pool, async (c) => {
        await c.query('VACUUM ANALYZE');
        return onDiskBytes(c, LOGPIPE_SCHEMAS);
      });
      if (repeat === 1) {
        await this.dumpParsedRows(pool, w.last.rows);
        await this.logpipeQueries(pool);
      }
      return {
        id: 'logpipe-redis', label: `(b) logpipe reader + ${this.o.processors} processor${this.o.processors > 1 ? 's' : ''} (Redis)`,
        lines: this.totalLines, rows: w.last.rows, wallSeconds: w.wallSeconds,
        processes: usages.map((u, i) => processUsage(u, i === 0 ? 'reader' : this.o.processors > 1 ? `processor ${i}` : 'processor')),
        postgresCpuSeconds,
        queue: { messages: usages[0].counters.messages, bytes: usages[0].counters.queueBytes },
        bytesPerRow: bytes / w.last.rows,
        timeline: w.timeline,
      };
    } finally {
      await pool.end();
    }
  }

  private async logpipeQueries(pool: pg.Pool): Promise<void> {
    if (this.o.skip.has('queries')) return;
    await withClient(pool, async (c) => {
      for (const q of INVESTIGATIONS) {
        const { sql, params } = q.build(seedArgs(q), DEFAULT_WATCHED_PORTS);
        const t = await timeQuery(c, sql, params, this.o.queryRuns);
        const naive = this.naiveQueryMs.get(q.id);
        this.queries.push({
          id: q.id, title: q.title, logpipeMs: t.ms, logpipeRows: t.rows,
          logpipeAccess: await accessPath(c, sql, params),
          naiveMs: naive?.ms ?? NaN, naiveAccess: naive?.access ?? 'not run',
        });
      }
    });
  }

  /** Saves (b)'s parsed rows as COPY text files: the floor loads exactly these. */
  private async dumpParsedRows(pool: pg.Pool, rows: number): Promise<void> {
    const dir = join(this.work, 'floor');
    mkdirSync(dir, { recursive: true });
    await withClient(pool, async (c) => {
      for (const t of LOG_TYPES) {
        const cols = tableColumns(t).map((col) => col.name).join(', ');
        await pipeline(c.query(copyTo(`COPY (SELECT ${cols} FROM public.${t.table}) TO STDOUT`)), createWriteStream(join(dir, `${t.table}.copy`)));
      }
      const days = (await c.query(`SELECT DISTINCT floor(extract(epoch FROM ts) / 86400)::int AS d FROM (${LOG_TYPES.map((t) => `SELECT ts FROM public.${t.table}`).join(' UNION ALL ')}) u`)).rows.map((r) => r.d);
      this.floorDump = { dir, days, rows };
    });
  }

  /** (c) logpipe run: reader and two processor loops in one process, in-process queue. */
  async logpipeRun(repeat: number): Promise<ContenderRun> {
    await resetDatabase(this.o.databaseUrl, this.logpipeDb);
    const url = dbUrl(this.o.databaseUrl, this.logpipeDb);
    const pool = createPool(url, 2);
    try {
      await withClient(pool, initDb);
      const cpuProbe = await withClient(pool, postgresCpuProbe);
      const pgCpuUsed = cpuSince(cpuProbe);
      const role = spawnRole('run', ['run', '--no-summary'], this.env({ DATABASE_URL: url }), this.roleDir(repeat, 'run'));
      const w = await watch(
        '(c) logpipe run (1 process)',
        this.totalLines,
        async () => ({ ...(await committed(pool)), queue: 0 }),
        (s) => s.lines >= this.totalLines,
        exitedBadly([role]),
      );
      const postgresCpuSeconds = pgCpuUsed();
      await stopRoles([role]);
      const u = readUsage(role);
      const bytes = await withClient(pool, (c) => onDiskBytes(c, LOGPIPE_SCHEMAS));
      return {
        id: 'logpipe-run', label: '(c) logpipe run (one process)', lines: this.totalLines, rows: w.last.rows, wallSeconds: w.wallSeconds,
        processes: [processUsage(u)],
        postgresCpuSeconds,
        queue: { messages: u.counters.messages, bytes: u.counters.queueBytes },
        bytesPerRow: bytes / w.last.rows,
        timeline: w.timeline,
      };
    } finally {
      await pool.end();
    }
  }

  /**
   * (d) The floor: PostgreSQL's own COPY of (b)'s parsed rows into a fresh copy of the schema
   * (same partitioned tables, same indexes). `parallel`: one stream per table at once; otherwise
   * table after table on one connection, as `psql -c '\copy …'` would.
   */
  async copyFloor(parallel: boolean): Promise<ContenderRun> {
    if (!this.floorDump) throw new Error('the COPY floor needs the rows of (b); do not skip it');
    const dump = this.floorDump;
    await resetDatabase(this.o.databaseUrl, this.logpipeDb);
    const url = dbUrl(this.o.databaseUrl, this.logpipeDb);
    const pool = createPool(url, LOG_TYPES.length + 1);
    try {
      await withClient(pool, initDb);
      await new PartitionManager().ensure(pool, LOG_TYPES.flatMap((t) => dump.days.map((d) => [t, d] as [typeof t, number])));
      const cpuProbe = await withClient(pool, postgresCpuProbe);
      const clients = await Promise.all(LOG_TYPES.map(() => pool.connect()));
      let wallSeconds = 0;
      let w: Awaited<ReturnType<typeof watch>>;
      let postgresCpuSeconds: number | null;
      try {
        const pgCpuUsed = cpuSince(cpuProbe);
        let sent = 0;
        const counter = () =>
          new Transform({
            transform(chunk: Buffer, _enc, cb) {
              for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) sent++;
              cb(null, chunk);
            },
          });
        const copyTable = (i: number) =>
          pipeline(createReadStream(join(dump.dir, `${LOG_TYPES[i].table}.copy`)), counter(), clients[i].query(copyFrom(copySqlFor(LOG_TYPES[i]))));
        const started = performance.now();
        let finishedAt = 0;
        const load = (parallel
          ? Promise.all(LOG_TYPES.map((_, i) => copyTable(i)))
          : LOG_TYPES.reduce<Promise<unknown>>((prev, _, i) => prev.then(() => copyTable(i)), Promise.resolve())
        ).then(() => (finishedAt = performance.now()));
        let failure: string | null = null;
        load.catch((err: Error) => (failure = err.message));
        const label = parallel ? `(d') COPY floor, ${LOG_TYPES.length} streams` : '(d) COPY floor, 1 stream';
        w = await watch(label, dump.rows, async () => ({ rows: finishedAt ? dump.rows : Math.min(sent, dump.rows), lines: 0, queue: 0 }), () => finishedAt > 0, () => failure);
        await load;
        postgresCpuSeconds = pgCpuUsed();
        wallSeconds = (finishedAt - started) / 1000; // exact: the load's own end, not the poll's
        w.timeline[w.timeline.length - 1] = [Number(wallSeconds.toFixed(3)), dump.rows];
      } finally {
        clients.forEach((c) => c.release());
      }
      const bytes = await withClient(pool, (c) => onDiskBytes(c, LOGPIPE_SCHEMAS));
      return {
        id: parallel ? 'copy-parallel' : 'copy-floor',
        label: parallel ? `(d') COPY floor, ${LOG_TYPES.length} parallel streams` : '(d) COPY floor, one stream (as psql)',
        lines: this.totalLines, rows: dump.rows, wallSeconds,
        processes: [],
        postgresCpuSeconds,
        queue: null,
        bytesPerRow: bytes / dump.rows,
        timeline: w.timeline,
      };
    } finally {
      await pool.end();
    }
  }

  async run(): Promise<BenchReport> {
    const startedAt = new Date().toISOString();
    const repeats: ContenderRun[][] = [];
    try {
      for (let r = 1; r <= this.o.repeat; r++) {
        process.stderr.write(`\nrepeat ${r} of ${this.o.repeat}\n`);
        const runs: ContenderRun[] = [];
        if (!this.o.skip.has('naive')) runs.push(await this.naive(r));
        runs.push(await this.logpipeRedis(r));
        if (!this.o.skip.has('run')) runs.push(await this.logpipeRun(r));
        runs.push(await this.copyFloor(false));
        runs.push(await this.copyFloor(true));
        repeats.push(runs);
      }
      const b = repeats[0].find((c) => c.id === 'logpipe-redis')!;
      const naive = repeats[0].find((c) => c.id === 'naive');
      if (naive) {
        const dropped = naive.lines - naive.rows;
        this.notes.push(
          `The naive pipeline ran on the first ${naive.lines.toLocaleString('en-US')} lines (its cost per row is constant); ` +
            'for the query comparison its table was then filled to the whole data set by COPY with the same parser (not timed). ' +
            (dropped > 0
              ? `It dropped ${dropped.toLocaleString('en-US')} lines its parsers do not know (e.g. \`Failed password for invalid user\`), silently.`
              : 'It drops lines its parsers do not know (e.g. `Failed password for invalid user`) silently; this data set has none.'),
        );
      }
      this.notes.push(
        'Each contender starts from a fresh database (schema created before the clock starts) and empty Redis keys. Wall time runs from launching the reader, ' +
          'with the processors of (a) and (b) already started and waiting on the queue as services are, to the last row committed (polled every 25 ms, every 5 ms over the last 10%, every 100 ms for the naive one); ' +
          '(c) is one process and its clock includes its own start (~0.3 s).',
        'CPU per process is user + system time reported by the process at exit; postgres is the server\'s CPU time over the run (postmaster, backends, reaped backends).',
        `The COPY floors load the rows (b) wrote (${b.rows.toLocaleString('en-US')}) from local files into the same partitioned tables with the same indexes (no rollups, ledger or quarantine): ` +
          '(d) table after table on one connection, as psql would, which is the reference of the "× COPY floor" column; (d\') one stream per table at once, the most PostgreSQL takes on this machine.',
        'bytes/row on disk: tables, indexes and bookkeeping after the run divided by rows written.',
      );
      return {
        startedAt,
        command: this.o.command,
        machine: await this.machine(),
        dataset: {
          dir: this.o.dataDir, files: this.files.length, lines: this.totalLines, records: b.rows,
          naiveLines: repeats[0].find((c) => c.id === 'naive')?.lines ?? 0,
          naiveNote: this.o.skip.has('naive') ? 'Naive pipeline skipped.' : `The naive pipeline gets the first ${this.o.naiveLines.toLocaleString('en-US')} lines.`,
        },
        repeats,
        summary: summarize(repeats),
        queries: this.queries,
        notes: this.notes,
      };
    } finally {
      await this.cleanup();
    }
  }

  private async machine(): Promise<BenchReport['machine']> {
    const c = new pg.Client({ connectionString: this.o.databaseUrl });
    await c.connect();
    const version = (await c.query('SHOW server_version')).rows[0].server_version;
    await c.end();
    const info = await this.redis.info('server');
    return {
      cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.versions.node, postgres: `PostgreSQL ${version}`, redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    };
  }

  private async cleanup(): Promise<void> {
    await this.redis.del(`${this.o.keyPrefix}:log_queue`).catch(() => {});
    await deletePrefixedKeys(this.redis, this.o.keyPrefix).catch(() => {});
    this.redis.disconnect();
    rmSync(join(this.work, 'floor'), { recursive: true, force: true });
  }

  /** Writes the report files; the per-role logs stay in the work directory for a look. */
  write(report: BenchReport) {
    const files = writeReport(this.o.outDir, report);
    return { ...files, logs: this.work };
  }
}


