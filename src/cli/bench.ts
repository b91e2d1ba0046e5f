/** `logpipe bench` and `logpipe cost`: the side-by-side benchmark and what it means in dollars. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DataSetMismatch, openDataSet } from '../bench/dataset.js';
import { Bench } from '../bench/harness.js';
import { costOf, costTable, loadPrices, profileOf } from '../bench/cost.js';
import { queryMarkdown, writeQueryReport } from '../bench/query-report.js';
import { benchQueries } from '../bench/query-scale.js';
import { markdownReport, pipelineOf, type BenchReport } from '../bench/report.js';
import { ConfigError } from '../config/load.js';
import { packagePath } from '../core/paths.js';
import { backendForUrl } from '../queue/registry.js';
import { action, addConfigFlags, configFrom, intArg, type GlobalFlags } from './common.js';
import { naiveRedisUrl } from './naive.js';
import { requireSharedQueue } from './services.js';

interface BenchFlags extends GlobalFlags {
  data: string;
  files: number;
  lines: number;
  seed: number;
  naiveLines: number;
  repeat: number;
  processors: number;
  queryRuns: number;
  out: string;
  dbPrefix: string;
  skip: string[];
  queueUrls?: string[];
}

interface CostFlags {
  linesPerDay: string;
  retentionDays: number;
  from: string;
  prices: string;
}

const DEFAULT_PRICES = packagePath('config', 'prices.json');

/** A count like 10M, 1B, 250k or 1e9. */
function countArg(v: string, flag = '--lines-per-day'): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([kmb])?$/i.exec(v.trim());
  if (!m) throw new ConfigError(`${flag} must be a number like 10M, 1B or 250000, got "${v}"`);
  const mult = { k: 1e3, m: 1e6, b: 1e9 }[(m[2] ?? '').toLowerCase() as 'k' | 'm' | 'b'] ?? 1;
  const n = Number(m[1]) * mult;
  if (!(n > 0)) throw new ConfigError(`${flag} must be positive, got "${v}"`);
  return n;
}

export function registerBench(program: Command): void {
  addConfigFlags(
    program
      .command('bench')
      .description('naive vs logpipe (reader + processors over the queue) vs logpipe run vs the COPY floor, side by side; writes JSON, Markdown and SVG')
      .option('--data <dir>', 'data set directory: its files as they are, or generated with --files × --lines when missing or empty', './data/bench-250k')
      .option('--files <n>', 'files to generate (given with an existing --data: it must hold that many)', intArg('files', 1, 10_000), 5)
      .option('--lines <n>', 'lines per file to generate (given with an existing --data: each file must hold that many)', intArg('lines', 1), 50_000)
      .option('--seed <n>', 'generator seed', intArg('seed', 0), 42)
      .option('--naive-lines <n>', 'lines given to the naive pipeline (it needs ~25 s per 50,000)', intArg('naive-lines', 1), 50_000)
      .option('--repeat <n>', 'run every contender this many times; the report gives medians', intArg('repeat', 1, 50), 1)
      .option('--processors <n>', 'processor processes for logpipe over the queue', intArg('processors', 1, 64), 1)
      .option('--queue-urls <url...>', 'run (b) over each of these queues, side by side (default: the configured queue)')
      .option('--query-runs <n>', 'timed runs per analyst query (after one warm-up)', intArg('query-runs', 1, 1000), 5)
      .option('--out <dir>', 'where the report goes', './bench-results')
      .option('--db-prefix <name>', 'databases the bench uses: <name> and <name>_naive, dropped and created for each contender (the last one\'s left to look at)', 'logpipe_bench')
      .option('--skip <what...>', 'leave out: naive, run, queries', []),
  ).action(
    action(async (flags: BenchFlags, cmd: Command) => {
      const config = configFrom(flags);
      if (!config.databaseUrl) throw new ConfigError('the benchmark needs a PostgreSQL server: set DATABASE_URL (or PG_*, or --database-url)');
      if (!/^[a-z_][a-z0-9_]*$/.test(flags.dbPrefix)) throw new ConfigError(`--db-prefix must be a lowercase SQL identifier, got "${flags.dbPrefix}"`);
      const skip = new Set(flags.skip);
      for (const s of skip) if (!['naive', 'run', 'queries'].includes(s)) throw new ConfigError(`--skip takes naive, run or queries, got "${s}"`);
      const queues = flags.queueUrls?.length
        ? flags.queueUrls.map((url) => {
          const b = backendForUrl(url);
          if (!b?.shared) throw new ConfigError(`--queue-urls: ${url} is not the URL of a shared queue (redis://, rediss://, nats://, tls://)`);
          return { ...config.queue, kind: b.name, url };
        })
        : (requireSharedQueue(config, 'the benchmark'), [config.queue]);
      let data;
      try {
        data = openDataSet({
          dir: flags.data, files: flags.files, linesPerFile: flags.lines, seed: flags.seed,
          filesGiven: cmd.getOptionValueSource('files') === 'cli', linesGiven: cmd.getOptionValueSource('lines') === 'cli',
          log: (m) => process.stderr.write(m + '\n'),
        });
      } catch (err) {
        throw err instanceof DataSetMismatch ? new ConfigError(`--data ${err.message}`) : err;
      }
      const bench = new Bench({
        databaseUrl: config.databaseUrl, queues, naiveRedisUrl: skip.has('naive') ? undefined : naiveRedisUrl(config, process.env, 'the naive contender'),
        naiveLines: flags.naiveLines, repeat: flags.repeat, processors: flags.processors, queryRuns: flags.queryRuns, outDir: flags.out,
        dbPrefix: flags.dbPrefix, keyPrefix: `${flags.dbPrefix}-keys`, skip, configFile: flags.config,
        command: `logpipe ${process.argv.slice(2).join(' ')}`,
      }, data);
      const report = await bench.run();
      const files = bench.write(report);
      process.stdout.write('\n' + markdownReport(report) + '\n');
      process.stdout.write(`written: ${files.json}, ${files.markdown}, ${files.svg} (process logs: ${files.logs})\n`);
    }),
  );

  addConfigFlags(
    program
      .command('bench-queries')
      .description('the analysts\' questions against rows: generate, ingest, maintain, then p50/p95 per question at each scale, with the naive JSONB table')
      .option('--scale <rows/days...>', 'scales as ROWS/DAYS, e.g. 10M/1 50M/5', ['1M/1', '10M/1', '50M/5'])
      .option('--runs <n>', 'timed runs per question', intArg('runs', 1, 1000), 20)
      .option('--naive-up-to <rows>', 'time the naive table up to this many rows (beyond: extrapolated)', '10M')
      .option('--data-root <dir>', 'where the data sets are generated', './data')
      .option('--db-prefix <name>', 'databases it creates: <name>_<scale> and <name>_<scale>_naive, dropped once the scale is measured (unless --reuse)', 'logpipe_qbench')
      .option('--reuse', 'keep each scale\'s databases, and use them again when already ingested')
      .option('--out <dir>', 'where the report goes', './bench-results'),
  ).action(
    action(async (flags: GlobalFlags & { scale: string[]; runs: number; naiveUpTo: string; dataRoot: string; dbPrefix: string; reuse?: boolean; out: string }) => {
      const config = configFrom(flags);
      if (!config.databaseUrl) throw new ConfigError('bench-queries needs a PostgreSQL server: set DATABASE_URL (or PG_*, or --database-url)');
      if (!/^[a-z_][a-z0-9_]*$/.test(flags.dbPrefix)) throw new ConfigError(`--db-prefix must be a lowercase SQL identifier, got "${flags.dbPrefix}"`);
      const scales = flags.scale.map((s) => {
        const [rows, days] = s.split('/');
        const d = Number(days);
        if (!Number.isInteger(d) || d < 1) throw new ConfigError(`--scale takes ROWS/DAYS such as 10M/1, got "${s}"`);
        return { rows: countArg(rows, '--scale'), days: d };
      });
      const started = new Date().toISOString();
      const workDir = mkdtempSync(join(tmpdir(), 'logpipe-qbench-'));
      const results = await benchQueries({
        databaseUrl: config.databaseUrl, scales, runs: flags.runs, naiveUpTo: countArg(flags.naiveUpTo, '--naive-up-to'), dataRoot: flags.dataRoot,
        dbPrefix: flags.dbPrefix, reuse: Boolean(flags.reuse), workDir, log: (m) => process.stderr.write(m + '\n'),
      });
      rmSync(workDir, { recursive: true, force: true }); // the roles' logs: kept when one failed (its error names them)
      const context = `${started}, \`logpipe ${process.argv.slice(2).join(' ')}\` on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`;
      const files = writeQueryReport(flags.out, results, context);
      process.stdout.write('\n' + queryMarkdown(results, context) + '\n');
      process.stdout.write(`written: ${files.json}, ${files.markdown}, ${files.svg}\n`);
    }),
  );

  program
    .command('cost')
    .description('naive vs logpipe per day at a given volume: queue requests, compute, storage (figures from the last bench)')
    .option('--lines-per-day <n>', 'daily volume, e.g. 10M or 1B', '10M')
    .option('--retention-days <n>', 'days of records kept in PostgreSQL', intArg('retention-days', 1, 36_500), 30)
    .option('--from <file>', 'bench JSON to take the measured figures from', './bench-results/latest.json')
    .option('--prices <file>', 'prices JSON (with source and date)', DEFAULT_PRICES)
    .action(
      action(async (flags: CostFlags) => {
        const linesPerDay = countArg(flags.linesPerDay);
        if (!existsSync(flags.from)) throw new ConfigError(`${flags.from} not found: run \`logpipe bench\` first (or pass --from)`);
        const report = JSON.parse(readFileSync(flags.from, 'utf8')) as BenchReport;
        const naive = report.summary.find((c) => c.id === 'naive');
        const logpipe = pipelineOf(report.summary);
        if (!naive || !logpipe) throw new ConfigError(`${flags.from} lacks the naive or the logpipe (reader + processors) results`);
        const prices = loadPrices(flags.prices);
        const opts = { linesPerDay, retentionDays: flags.retentionDays };
        const lines = [profileOf(naive, 'naive'), profileOf(logpipe, 'logpipe')].map((p) => costOf(p, prices, opts));
        process.stdout.write(costTable(lines, prices, opts) + '\n');
        process.stdout.write(`Measured figures from ${flags.from} (${report.startedAt}); queue messages are priced as SQS messages of the measured size.\n`);
      }),
    );
}
