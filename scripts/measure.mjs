#!/usr/bin/env node
/**
 * The measurements behind the README's "where the time goes" and lever tables that
 * `logpipe bench` does not make itself: one part of the pipeline at a time, on a data set's lines
 * cut into chunks as the reader cuts them (5,000 lines) and batches as the processor takes them
 * (`processor.batchChunks`' default). Runs against the compiled code: `npm run build` first.
 *
 *   node scripts/measure.mjs parse        [--data DIR] [--rounds N] [--formats text,binary]  parse thread CPU, COPY text vs binary rows
 *   node scripts/measure.mjs chunker      [--data DIR] [--rounds N]  the reader's framing alone: CPU to cut the files' bytes into lines and chunks
 *   node scripts/measure.mjs codecs       [--data DIR] [--rounds N]  queue codecs: CPU to compress / decompress, size
 *   node scripts/measure.mjs copy-formats [--data DIR] [--rounds N]  PostgreSQL alone: COPY of the same rows, text vs binary
 *   node scripts/measure.mjs copy-indexes [--data DIR] [--rounds N]  PostgreSQL alone: each log table's COPY (binary) with all its indexes, each left out, none
 *   node scripts/measure.mjs rollups      [--data DIR] [--rounds N]  each rollup's upserts (their SELECT taken apart), and merging a batch's counts first
 *   node scripts/measure.mjs first-query  --db URL [--rounds N]      each analyst question as a new connection's first query and again on it: the server
 *                                         backend's CPU and minor page faults for each (from /proc; the server on this machine)
 *   node scripts/measure.mjs roles        [--data DIR] [--rounds N] [--run] [--metrics] --variants "A;B"  reader + processor (or run), variant against variant
 *                                         (the processor's CPU and its main thread's over the run, from /proc; --metrics: the processor serves its metrics, as by
 *                                         default, and its parse threads' busy and CPU seconds are read from them)
 *
 * PostgreSQL: DATABASE_URL (an administrator's; default postgres://postgres@127.0.0.1:5432/postgres),
 * where a database of its own is created and dropped (Redis for `roles`: REDIS_URL); `--create-db
 * "OPTIONS"` adds to its CREATE DATABASE (e.g. "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE
 * 'en-US'", to measure under another collation than the server's default). Figures are
 * medians over the rounds, the first round (the compiler's warm-up) left out — except `roles`,
 * whose every run is fresh processes; compare only figures of one machine and run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import pg from 'pg';

const dist = (p) => import(new URL(`../dist/src/${p}`, import.meta.url).href);
const { Chunker } = await dist('reader/chunker.js');
const { configureParsing, DEFAULT_PARSE_SETTINGS, parseChunk } = await dist('processor/parse-chunk.js');
const { encodeChunk, decodeChunk } = await dist('queue/chunk.js');
const { LOG_TYPES } = await dist('logtypes/registry.js');
const { countColumns, ROLLUPS } = await dist('logtypes/rollups.js');
const { copyRows, copySqlFor } = await dist('store/copy.js');
const { initDb } = await dist('store/init.js');
const { PartitionManager } = await dist('store/partitions.js');
const { upsertSql, writeRollups } = await dist('store/rollups.js');
const { appendRollupColumns, emptyRollupColumns, unpackTypeKey } = await dist('store/rows.js');
const { loadConfig } = await dist('config/load.js');
/** Chunks a batch, as a processor takes them by default. */
const BATCH_CHUNKS = loadConfig({ env: {} }).processor.batchChunks;

const args = process.argv.slice(2);
const what = args[0];
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const dir = opt('--data', './data/bench-1m');
const rounds = Number(opt('--rounds', '5'));
const formats = opt('--formats', 'text,binary').split(',');
/** CREATE DATABASE for a measure's own database, with --create-db's options. */
const createDatabase = (name) => `CREATE DATABASE ${name} ${opt('--create-db', '')}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The process's CPU seconds while `fn` runs (awaited; libuv's pool counts, as for zstd). */
const cpuSeconds = async (fn) => {
  const t = process.cpuUsage();
  await fn();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1e6;
};

/** A reader's chunk bounds, as configured by default. */
const CHUNK_BOUNDS = { maxLines: 5_000, maxBytes: 1 << 20, maxLineBytes: 65_536 };

/** The data set's files' bytes, in name order. */
function filesOf(directory) {
  const files = readdirSync(directory).filter((f) => f.endsWith('.log')).sort();
  if (files.length === 0) throw new Error(`no *.log in ${directory} (logpipe generate --out ${directory})`);
  return files.map((f) => readFileSync(join(directory, f)));
}

/** The data set's lines in the reader's chunks. */
function chunksOf(directory) {
  return filesOf(directory).flatMap((bytes, i) => {
    const c = new Chunker(i + 1, CHUNK_BOUNDS);
    return c.finish(c.feed(bytes));
  });
}

// Every measure but first-query works on a data set's lines.
const chunks = what === 'first-query' ? [] : chunksOf(dir);
const millions = chunks.reduce((a, c) => a + c.lineCount, 0) / 1e6;
if (chunks.length) console.log(`${dir}: ${(millions * 1e6).toLocaleString('en')} lines in ${chunks.length} chunks; ${rounds} rounds`);
const perM = (s) => (s / millions).toFixed(2);

/** Runs each variant once per round, in turns; returns the medians of what each returns (the first round dropped). */
async function alternate(variants) {
  const got = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r <= rounds; r++) {
    for (const [k, fn] of Object.entries(variants)) {
      const v = await fn();
      if (r > 0) got[k].push(v);
    }
  }
  return Object.fromEntries(Object.entries(got).map(([k, xs]) => [k, median(xs)]));
}

async function tempDatabase() {
  const admin = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `logpipe_measure_${process.pid}`;
  const run = async (sql) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(sql).finally(() => c.end());
  };
  await run(createDatabase(name));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await initDb(client);
  return { client, url: url.toString(), drop: async () => { await client.end(); await run(`DROP DATABASE ${name} WITH (FORCE)`); } };
}

function parseAll(copyFormat) {
  configureParsing({ ...DEFAULT_PARSE_SETTINGS, copyFormat });
  return chunks.map((c) => parseChunk(c).rows);
}

async function ensurePartitions(url, rows) {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const days = new Map();
  for (const r of rows) for (const k of r.days) days.set(k, unpackTypeKey(k));
  await new PartitionManager().ensure(pool, [...days.values()].map(([day, t]) => [LOG_TYPES[t], day]));
  await pool.end();
}

const measures = {
  parse: async () => {
    const bytes = {};
    // Each chunk's rows dropped once counted, as a parse thread hands them on.
    const m = await alternate(Object.fromEntries(formats.map((f) => [f, () => cpuSeconds(() => {
      configureParsing({ ...DEFAULT_PARSE_SETTINGS, copyFormat: f });
      bytes[f] = 0;
      for (const c of chunks) for (const t of parseChunk(c).rows.rows) for (const p of t.parts()) bytes[f] += p.length;
    })])));
    for (const f of formats) console.log(`${f.padEnd(7)} ${perM(m[f])} CPU-s per M lines; ${(bytes[f] / millions / 1e6).toFixed(1)} bytes of COPY data a line`);
  },

  chunker: async () => {
    // The reader's framing alone: the files' bytes (read beforehand) fed to a Chunker in the reader's 1 MiB reads.
    const files = filesOf(dir);
    const m = await alternate({ chunker: () => cpuSeconds(() => {
      files.forEach((bytes, i) => {
        const c = new Chunker(i + 1, CHUNK_BOUNDS);
        for (let at = 0; at < bytes.length; at += 1 << 20) c.feed(bytes.subarray(at, at + (1 << 20)));
        c.finish();
      });
    }) });
    console.log(`chunker ${perM(m.chunker)} CPU-s per M lines: cutting lines and chunks, without reading, compressing or sending`);
  },

  codecs: async () => {
    const payloads = chunks.map((c) => c.payload);
    const deflate6 = { compress: () => payloads.map((p) => deflateRawSync(p, { level: 6 })), decompress: (bodies) => bodies.forEach((b) => inflateRawSync(b)) };
    // One chunk at a time, as the reader compresses and a parse thread decompresses.
    const viaChunk = (codec) => ({
      compress: async () => { const out = []; for (const c of chunks) out.push(await encodeChunk(c, codec)); return out; },
      decompress: async (encoded) => { for (const e of encoded) await decodeChunk(e); },
    });
    for (const [name, codec] of [['deflate level 1', viaChunk('deflate')], ['deflate level 6', deflate6], ['lz4', viaChunk('lz4')], ['zstd', viaChunk('zstd')], ['none', viaChunk('none')]]) {
      let out = null;
      const m = await alternate({
        compress: () => cpuSeconds(async () => { out = await codec.compress(); }),
        decompress: () => cpuSeconds(() => codec.decompress(out)),
      });
      const size = out.reduce((a, e) => a + (e.body ?? e).length, 0);
      const raw = payloads.reduce((a, p) => a + p.length, 0);
      console.log(`${name.padEnd(16)} compress ${perM(m.compress)} / decompress ${perM(m.decompress)} CPU-s per M lines; ${(raw / size).toFixed(1)}× smaller`);
    }
  },

  'copy-formats': async () => {
    const db = await tempDatabase();
    try {
      const rows = { text: parseAll('text'), binary: parseAll('binary') };
      await ensurePartitions(db.url, rows.text);
      const tables = LOG_TYPES.map((t) => `public.${t.table}`).join(', ');
      const m = await alternate(Object.fromEntries(['text', 'binary'].map((f) => [f, async () => {
        await db.client.query(`TRUNCATE ${tables}`);
        await db.client.query('CHECKPOINT');
        const t = performance.now();
        for (let i = 0; i < LOG_TYPES.length; i++) await copyRows(db.client, copySqlFor(LOG_TYPES[i]), rows[f].map((r) => r.rows[i]));
        return (performance.now() - t) / 1000;
      }])));
      for (const f of ['text', 'binary']) console.log(`${f.padEnd(7)} COPY of every row, one stream: ${m[f].toFixed(2)} s (${perM(m[f])} s per M rows)`);
    } finally {
      await db.drop();
    }
  },

  'copy-indexes': async () => {
    const db = await tempDatabase();
    try {
      const rows = parseAll('binary');
      await ensurePartitions(db.url, rows);
      for (const [i, type] of LOG_TYPES.entries()) {
        const buffers = rows.map((r) => r.rows[i]);
        const n = buffers.reduce((a, b) => a + b.rows, 0);
        if (n === 0) continue;
        // The table's indexes as init-db made them (on the partitioned table: each partition has its own).
        const indexes = (await db.client.query(
          `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass ORDER BY 1`,
          [`public.${type.table}`],
        )).rows;
        const partitions = (await db.client.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = $1::regclass`, [`public.${type.table}`])).rows[0].n;
        const load = (leftOut) => async () => {
          await db.client.query(`TRUNCATE public.${type.table}`);
          for (const ix of leftOut) await db.client.query(`DROP INDEX public.${ix.name}`);
          await db.client.query('CHECKPOINT');
          const t = performance.now();
          await copyRows(db.client, copySqlFor(type), buffers);
          const seconds = (performance.now() - t) / 1000;
          const built = (await db.client.query(`SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = 'logpipe_partitions' AND tablename LIKE $1`, [`${type.table}_p%`])).rows[0].n;
          if (built !== (indexes.length - leftOut.length) * partitions) throw new Error(`${type.table}: ${built} partition indexes where ${(indexes.length - leftOut.length) * partitions} were meant`);
          // pg_get_indexdef names a partitioned table's index ON ONLY it; made again ON it, each partition gets its own.
          for (const ix of leftOut) await db.client.query(ix.def.replace(' ON ONLY ', ' ON '));
          return seconds;
        };
        const m = await alternate({
          all: load([]),
          ...Object.fromEntries(indexes.map((ix) => [`without ${ix.name}`, load([ix])])),
          none: load(indexes),
        });
        const us = (s) => ((s * 1e6) / n).toFixed(2);
        const cost = indexes.map((ix) => `${ix.name} ${us(m.all - m[`without ${ix.name}`])}`).join(', ');
        console.log(`${type.table} (${n.toLocaleString('en')} rows): ${us(m.all)} µs a row with its indexes, ${us(m.none)} without any; each index (all less without it): ${cost}`);
      }
    } finally {
      await db.drop();
    }
  },

  rollups: async () => {
    const db = await tempDatabase();
    try {
      configureParsing(DEFAULT_PARSE_SETTINGS);
      const batches = [];
      for (let i = 0; i < chunks.length; i += BATCH_CHUNKS) batches.push(chunks.slice(i, i + BATCH_CHUNKS).map((c) => parseChunk(c).rows));
      await ensurePartitions(db.url, batches.flat());
      const counted = batches.map((b) => {
        const counts = emptyRollupColumns();
        for (const r of b) appendRollupColumns(counts, r.rollups);
        return counts;
      });
      // Each rollup's upsert alone, batch after batch, committed (the table grows as in a run); its
      // SELECT alone; and that SELECT taken apart: its input rows only (splitting the text
      // parameters), then grouped without the ORDER BY that keeps concurrent batches deadlock-free.
      const total = ROLLUPS.map(() => ({ upsert: 0, select: 0, grouped: 0, split: 0, input: 0, distinct: 0 }));
      const timeQuery = async (sql, params) => {
        const t = performance.now();
        const r = await db.client.query(sql, params);
        return [performance.now() - t, r];
      };
      for (const counts of counted) {
        for (const [i, r] of ROLLUPS.entries()) {
          if (counts[i].rows === 0) continue;
          const { sql } = upsertSql(r, 1);
          const selectPart = sql.slice(sql.indexOf('SELECT'), sql.indexOf('ON CONFLICT'));
          const fromPart = selectPart.slice(selectPart.indexOf('FROM ROWS FROM'), selectPart.indexOf('GROUP BY'));
          const x = total[i];
          x.upsert += (await timeQuery(sql, counts[i].columns))[0];
          const [ms, res] = await timeQuery(`SELECT count(*) FROM (${selectPart}) x`, counts[i].columns);
          x.select += ms;
          x.distinct += Number(res.rows[0].count);
          x.grouped += (await timeQuery(`SELECT count(*) FROM (${selectPart.slice(0, selectPart.indexOf('ORDER BY'))}) x`, counts[i].columns))[0];
          x.split += (await timeQuery(`SELECT count(*) ${fromPart}`, counts[i].columns))[0];
          x.input += counts[i].rows;
        }
      }
      for (const [i, r] of ROLLUPS.entries()) {
        const x = total[i];
        if (!x.input) continue;
        console.log(`${`${r.type.name}.${r.def.name}`.padEnd(30)} ${perM(x.upsert / 1000)} s per M lines (its SELECT alone ${perM(x.select / 1000)}: ` +
          `input rows ${perM(x.split / 1000)}, grouped ${perM(x.grouped / 1000)}, sorted ${perM(x.select / 1000)}); ` +
          `rows in ${Math.round(x.input / millions).toLocaleString('en')}, distinct per batch ${Math.round(x.distinct / millions).toLocaleString('en')} per M lines`);
      }
      // The whole rollup statement of a batch as the processor sends it, against its counts merged first in JavaScript (rolled back).
      const hoursOf = (b) => {
        const hours = new Map();
        for (const r of b) for (const [k, n] of r.hours) hours.set(k, [...unpackTypeKey(k), (hours.get(k)?.[2] ?? 0) + n]);
        return hours;
      };
      const timed = async (hours, counts) => {
        await db.client.query('BEGIN');
        const t = performance.now();
        await writeRollups(db.client, hours, counts);
        const ms = performance.now() - t;
        await db.client.query('ROLLBACK');
        return ms;
      };
      const m = await alternate({
        asSent: async () => { let s = 0; for (const [j, b] of batches.entries()) s += await timed(hoursOf(b), counted[j]); return s / batches.length; },
        merged: async () => { let s = 0; for (const [j, b] of batches.entries()) s += await timed(hoursOf(b), mergeCounts(counted[j])); return s / batches.length; },
        mergeInJs: async () => { const t = performance.now(); for (const c of counted) mergeCounts(c); return (performance.now() - t) / batches.length; },
      });
      console.log(`a batch's rollup statement: ${m.asSent.toFixed(1)} ms as sent, ${m.merged.toFixed(1)} ms with its counts merged first, the merge ${m.mergeInJs.toFixed(1)} ms in JavaScript`);
    } finally {
      await db.drop();
    }
  },
};

/**
 * `roles`: logpipe's own processes on the data set as a user runs them, variant against variant,
 * alternately, each run from a fresh database and queue: reader + processor over Redis (from
 * launching the reader to its exit, which waits for every line to be committed), or with --run
 * one `logpipe run` on its in-process queue. A variant is a space-separated list of environment settings (any logpipe
 * variable, LOGPIPE_CONFIG=FILE, or one the runtime reads such as MALLOC_ARENA_MAX=2), and
 * ROOT=DIR to run another checkout's build, NODE_FLAGS=A,B for `node` flags given to the
 * processor (or `run`) on its command line (V8's, such as --single-threaded-gc, which Node refuses
 * in NODE_OPTIONS); metrics off unless --metrics (then each role's default: a processor serves
 * them, and its parse threads' figures are read from them). Reported per variant, medians: wall
 * seconds, PostgreSQL's CPU, Redis's (over Redis), the WAL written (MB and full-page images), each
 * process's CPU and peak RSS; with --metrics, the processor's CPU on the clock taken apart: its
 * parse threads, its main thread, and the rest (V8's and libuv's threads).
 */
async function roles() {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { resolve } = await import('node:path');
  const { postgresCpuProbe, servicesCpuSince } = await dist('bench/measure.js');
  const { procStat } = await dist('core/usage.js');
  const variants = (opt('--variants', '') || '').split(';').map((v) => v.trim());
  if (variants.length < 2) throw new Error('roles needs --variants "A;B" (e.g. "; MALLOC_ARENA_MAX=2", the first empty: as it is)');
  const oneProcess = args.includes('--run');
  const admin = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const work = mkdtempSync(join(tmpdir(), 'logpipe-measure-'));
  const adminClient = new pg.Client({ connectionString: admin });
  await adminClient.connect();
  const probe = await postgresCpuProbe(adminClient);
  const { deletePrefixedKeys } = await dist('queue/redis/keys.js');
  const { redisCpuSeconds } = await dist('queue/redis/redis.js');
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  if (!probe) throw new Error('roles measures PostgreSQL\'s CPU through /proc: run it on the database\'s machine');
  const start = (root, cmd, env, name, nodeFlags = []) => {
    const child = spawn(process.execPath, [...nodeFlags, join(root, 'dist/logpipe.mjs'), ...cmd], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOGPIPE_LOG_LEVEL: 'info', LOGPIPE_LOG_FORMAT: 'json', ...env, LOGPIPE_USAGE_FILE: join(work, `${name}.json`) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise((res) => child.on('close', (code) => res(code)));
    return { child, exited, output: () => out };
  };
  // The server's WAL so far (pg_stat_wal counts the whole cluster: other databases' writes show too).
  const walSoFar = async () => {
    const r = await adminClient.query('SELECT wal_bytes::float8 AS bytes, wal_fpi::float8 AS fpi FROM pg_stat_wal');
    return r.rows[0];
  };
  const once = async (variant, n) => {
    const env = Object.fromEntries(variant.split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const root = resolve(env.ROOT ?? new URL('..', import.meta.url).pathname);
    const nodeFlags = env.NODE_FLAGS ? env.NODE_FLAGS.split(',') : [];
    delete env.ROOT;
    delete env.NODE_FLAGS;
    const name = `logpipe_measure_roles_${process.pid}_${n}`;
    await adminClient.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await adminClient.query(createDatabase(name));
    const url = new URL(admin);
    url.pathname = `/${name}`;
    // `run` gets no queue URL: its in-process queue, as a user runs it on one machine.
    const queue = oneProcess ? {} : { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
    // --metrics: each role as it starts by default (a processor serves /metrics on its port), as the benchmark runs them.
    const metrics = args.includes('--metrics') ? {} : { LOGPIPE_METRICS_PORT: '0' };
    const base = { DATABASE_URL: url.toString(), LOG_DIR: resolve(dir), LOGPIPE_QUEUE_PREFIX: name, ...queue, ...metrics, ...env };
    try {
      if ((await start(root, ['init-db'], base, 'init').exited) !== 0) throw new Error('init-db failed');
      let processor = null;
      if (!oneProcess) {
        processor = start(root, ['processor'], base, 'processor', nodeFlags);
        while (!/processor ready/.test(processor.output())) {
          if (processor.child.exitCode !== null) throw new Error(`processor exited: ${processor.output()}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      // --metrics: the parse threads' busy and CPU time over the run, from the processor's /metrics.
      const metricsUrl = processor && args.includes('--metrics') ? /"metrics":"(http[^"]+)"/.exec(processor.output())?.[1] : undefined;
      const parseThreads = async () => {
        const text = await (await fetch(metricsUrl)).text();
        const served = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
        return { busy: served('logpipe_parse_busy_seconds_total'), cpu: served('logpipe_parse_cpu_seconds_total') };
      };
      const parse0 = metricsUrl ? await parseThreads() : null;
      // The processor's CPU over the same window as the server's (it started before it), as the
      // benchmark counts it, and its main thread's alone (whose id is the process's); Linux.
      const processorCpuUsed = processor ? servicesCpuSince([processor.child.pid]) : null;
      const mainThreadCpu = () => procStat(`/proc/${processor.child.pid}/task/${processor.child.pid}/stat`)?.cpuSeconds ?? NaN;
      const main0 = processor ? mainThreadCpu() : NaN;
      const pg0 = probe();
      const redis0 = oneProcess ? null : await redisCpuSeconds(redis);
      const wal0 = await walSoFar();
      const t = performance.now();
      const main = start(root, oneProcess ? ['run', '--no-summary'] : ['reader'], base, oneProcess ? 'run' : 'reader', oneProcess ? nodeFlags : []);
      if ((await main.exited) !== 0) throw new Error(`${oneProcess ? 'run' : 'reader'} failed: ${main.output()}`);
      const wall = (performance.now() - t) / 1000;
      const pgCpu = probe() - pg0;
      // The queue server's CPU (Redis's own figure): a variant with another queue URL shows ~0 here.
      const queueServer = redis0 === null ? {} : { 'redis CPU': (await redisCpuSeconds(redis)) - redis0 };
      const wal1 = await walSoFar();
      const parse1 = metricsUrl ? await parseThreads() : null;
      const threadFigures = parse1 ? { 'parse threads busy': parse1.busy - parse0.busy, 'parse threads CPU': parse1.cpu - parse0.cpu } : {};
      if (processor) {
        threadFigures['processor CPU on the clock'] = processorCpuUsed()[0] ?? NaN;
        threadFigures['processor main thread CPU'] = mainThreadCpu() - main0;
        // The rest: V8's platform threads (its compiler, its collector's helpers) and libuv's pool.
        if (parse1) threadFigures['processor other threads CPU'] = threadFigures['processor CPU on the clock'] - threadFigures['processor main thread CPU'] - threadFigures['parse threads CPU'];
        processor.child.kill('SIGTERM');
        await processor.exited;
      }
      const usage = (role) => JSON.parse(readFileSync(join(work, `${role}.json`), 'utf8'));
      const procs = oneProcess ? ['run'] : ['reader', 'processor'];
      return { wall, pgCpu, ...queueServer, 'WAL MB': (wal1.bytes - wal0.bytes) / 1e6, 'WAL full-page images': wal1.fpi - wal0.fpi, ...threadFigures, ...Object.fromEntries(procs.flatMap((p) => { const u = usage(p); return [[`${p} CPU`, u.cpuUserSeconds + u.cpuSystemSeconds], [`${p} MiB`, u.maxRssBytes / 2 ** 20]]; })) };
    } finally {
      await adminClient.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await deletePrefixedKeys(redis, name); // a variant may have set a queue URL of its own
    }
  };
  const runs = variants.map(() => []);
  let n = 0;
  try {
    for (let r = 0; r < rounds; r++) for (const [v, variant] of variants.entries()) runs[v].push(await once(variant, n++));
  } finally {
    await adminClient.end();
    redis.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
  for (const [v, variant] of variants.entries()) {
    const keys = Object.keys(runs[v][0]);
    const digits = (k) => (/MiB|MB|images/.test(k) ? 0 : 2);
    const cells = keys.map((k) => `${k} ${median(runs[v].map((x) => x[k])).toFixed(digits(k))} (${runs[v].map((x) => x[k].toFixed(digits(k))).join(', ')})`);
    console.log(`[${variant || 'as it is'}] ${cells.join('; ')} — medians of ${runs[v].length} runs (each)`);
  }
}

/** A batch's rollup counts with repeated keys summed (first and last: min and max; a presence rollup's keys once), as one chunk's would be. */
function mergeCounts(counts) {
  return counts.map((c, i) => {
    if (c.rows === 0) return c;
    const firstLast = Boolean(ROLLUPS[i].def.firstLast);
    const presence = Boolean(ROLLUPS[i].def.presence);
    const keyCols = c.columns.length - countColumns(ROLLUPS[i].def).length;
    const cols = c.columns.map((s) => s.split('\n'));
    const byKey = new Map();
    for (let r = 0; r < c.rows; r++) {
      let key = cols[0][r];
      for (let k = 1; k < keyCols; k++) key += '\t' + cols[k][r];
      const e = byKey.get(key);
      if (presence) byKey.set(key, []); // the key alone
      else if (!e) byKey.set(key, firstLast ? [Number(cols[keyCols][r]), Number(cols[keyCols + 1][r]), Number(cols[keyCols + 2][r])] : [Number(cols[keyCols][r])]);
      else {
        e[0] += Number(cols[keyCols][r]);
        if (firstLast) {
          e[1] = Math.min(e[1], Number(cols[keyCols + 1][r]));
          e[2] = Math.max(e[2], Number(cols[keyCols + 2][r]));
        }
      }
    }
    const out = c.columns.map(() => []);
    for (const [key, e] of byKey) {
      key.split('\t').forEach((v, k) => out[k].push(v));
      e.forEach((v, k) => out[keyCols + k].push(String(v)));
    }
    return { rows: byKey.size, columns: out.map((o) => o.join('\n')) };
  });
}

measures.roles = roles;

/**
 * What a new connection's first question costs the server, against the same question asked again
 * on that connection: the backend's CPU (from /proc/PID/schedstat, in ns) and its minor page
 * faults (/proc/PID/stat) around each run, medians over --rounds connections. The server must be
 * on this machine; --db names a database logpipe ingested (e.g. kept by `bench-queries --reuse`).
 */
async function firstQuery() {
  const db = opt('--db', null);
  if (!db) throw new Error('first-query needs --db URL: a database logpipe ingested (e.g. kept by logpipe bench-queries --reuse)');
  const { INVESTIGATIONS, seedArgs } = await dist('store/investigations.js');
  const { DEFAULT_WATCHED_PORTS } = await dist('logtypes/rollups.js');
  const { procStat } = await dist('core/usage.js');
  // schedstat's nanoseconds: /proc/PID/stat counts CPU in 10 ms ticks, too coarse for one question.
  const backend = (pid) => ({
    cpuMs: Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6,
    faults: procStat(`/proc/${pid}/stat`).minorFaults,
  });
  console.log(`${db.replace(/\/\/[^@/]*@/, '//')}: ${rounds} new connections a question; backend CPU ms and minor faults, medians`);
  for (const q of INVESTIGATIONS) {
    const { sql, params } = q.build(seedArgs(q), DEFAULT_WATCHED_PORTS);
    const first = { cpuMs: [], faults: [] };
    const again = { cpuMs: [], faults: [] };
    for (let r = 0; r < rounds; r++) {
      const c = new pg.Client({ connectionString: db, types: { getTypeParser: () => (v) => v } });
      await c.connect();
      try {
        const pid = (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p;
        for (const into of [first, again]) {
          const b0 = backend(pid);
          await c.query(sql, params);
          const b1 = backend(pid);
          into.cpuMs.push(b1.cpuMs - b0.cpuMs);
          into.faults.push(b1.faults - b0.faults);
        }
      } finally {
        await c.end();
      }
    }
    console.log(`${q.id.padEnd(4)} first: ${median(first.cpuMs).toFixed(2)} ms, ${median(first.faults)} faults; again: ${median(again.cpuMs).toFixed(2)} ms, ${median(again.faults)} faults`);
  }
}
measures['first-query'] = firstQuery;

if (!measures[what]) {
  console.error(`usage: node scripts/measure.mjs <${Object.keys(measures).join('|')}> [--data DIR] [--rounds N]`);
  process.exit(2);
}
await measures[what]();
