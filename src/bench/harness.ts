/**
 * `logpipe bench`: contenders run one after another on the same data and server, each from a
 * reset state, `repeat` times; the report gives medians. The contenders (one module each in
 * contenders/): (a) the naive pipeline, (b) logpipe over each shared queue, (c) logpipe `run`,
 * (d) and (d') PostgreSQL's own COPY of the same parsed rows, (e) that and the rollups. Every
 * contender runs in databases and queues of its own, so the benchmark never touches anyone
 * else's data.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { chosenBackend } from '../queue/registry.js';
import { copyFloorContender } from './contenders/copy-floor.js';
import { naiveContender } from './contenders/naive.js';
import { pipelineContender } from './contenders/pipeline.js';
import { runContender } from './contenders/run.js';
import { BenchContext, type BenchOptions, type Contender } from './context.js';
import type { DataSet } from './dataset.js';
import { summarize, writeReport, type BenchReport, type ContenderRun } from './report.js';

export class Bench {
  private readonly ctx: BenchContext;

  constructor(private readonly o: BenchOptions, data: DataSet) {
    mkdirSync(o.outDir, { recursive: true });
    this.ctx = new BenchContext(o, data, mkdtempSync(join(tmpdir(), 'logpipe-bench-')));
  }

  async run(): Promise<BenchReport> {
    const startedAt = new Date().toISOString();
    const ctx = this.ctx;
    const naive = this.o.skip.has('naive') ? null : naiveContender(ctx, this.o.naiveRedisUrl!);
    const pipelines = this.o.queues.map((q, i) => pipelineContender(ctx, q, i === 0));
    const contenders: Contender[] = [
      ...(naive ? [naive] : []),
      ...pipelines,
      ...(this.o.skip.has('run') ? [] : [runContender(ctx)]),
      copyFloorContender(ctx, 'one'),
      copyFloorContender(ctx, 'parallel'),
      copyFloorContender(ctx, 'rollups'),
    ];
    const repeats: ContenderRun[][] = [];
    try {
      for (let r = 1; r <= this.o.repeat; r++) {
        process.stderr.write(`\nrepeat ${r} of ${this.o.repeat}\n`);
        const runs: ContenderRun[] = [];
        for (const c of contenders) runs.push(await c.run(r));
        repeats.push(runs);
      }
      const machine = await this.machine();
      return {
        startedAt,
        command: this.o.command,
        machine,
        dataset: {
          dir: ctx.data.dir, files: ctx.data.files.length, lines: ctx.data.totalLines, records: repeats[0].find((c) => c.id === pipelines[0].id)!.rows,
          naiveLines: repeats[0].find((c) => c.id === 'naive')?.lines ?? 0,
          naiveNote: naive ? `The naive pipeline gets the first ${this.o.naiveLines.toLocaleString('en-US')} lines.` : 'Naive pipeline skipped.',
        },
        repeats,
        summary: summarize(repeats, machine.cpus),
        queries: ctx.queries,
        notes: this.notes(repeats[0]),
      };
    } finally {
      naive?.close();
      for (const p of pipelines) await p.close();
      rmSync(join(ctx.work, 'floor'), { recursive: true, force: true });
    }
  }

  /** How each figure was measured, for the report. */
  private notes(first: ContenderRun[]): string[] {
    const notes: string[] = [];
    const naive = first.find((c) => c.id === 'naive');
    const b = first.find((c) => c.id.startsWith('logpipe-') && c.id !== 'logpipe-run')!;
    if (naive) {
      const dropped = naive.lines - naive.rows;
      notes.push(
        `The naive pipeline ran on the first ${naive.lines.toLocaleString('en-US')} lines (its cost per row is constant); ` +
          'for the query comparison its table was then filled to the whole data set by COPY with the same parser (not timed). ' +
          (dropped > 0
            ? `It dropped ${dropped.toLocaleString('en-US')} lines its parsers do not know (e.g. \`Failed password for invalid user\`), silently.`
            : 'It drops lines its parsers do not know (e.g. `Failed password for invalid user`) silently; this data set has none.'),
      );
    }
    notes.push(
      'Each contender starts from a fresh database (schema created before the clock starts, the days\' partitions on it: made by (b) and (c) as they meet each day, by the floors in one call before their COPY) and an empty queue. Wall time runs from launching the reader, ' +
        'with the processors of (a) and (b) already started and waiting on the queue as services are, to the last row committed (polled every 25 ms, every 5 ms over the last 10%, every 100 ms for the naive one); ' +
        '(c) is one process and its clock includes its own start (~0.3 s).',
      'CPU per process: for the processors started before the clock, their CPU time over the clock\'s window (from /proc, as the server\'s; their start is not the load\'s); for the others, user + system time reported by the process at exit. postgres is the server\'s CPU time over the run (postmaster, backends, reaped backends); redis-server (or nats-server) the queue server\'s, as Redis reports its own (INFO cpu) or from /proc for a NATS server on this machine, the benchmark\'s own polling of the queue included.',
      `The COPY floors load the rows (b) wrote (${b.rows.toLocaleString('en-US')}) from local files into the same partitioned tables with the same indexes (no rollups, ledger or quarantine): ` +
        '(d) table after table on one connection, as psql would, which is the reference of the "× COPY floor" column; (d\') one stream per table at once, the most PostgreSQL takes on this machine; ' +
        '(e) as (d\') and then the hourly counts and every rollup logpipe keeps, each filled by one GROUP BY over its loaded table: the least PostgreSQL spends to hold what (b) holds (logpipe also keeps them exact at every commit, the ledger and the quarantine).',
      'bytes/row on disk: tables, indexes and bookkeeping after the run divided by rows written.',
      'cores busy: the contender\'s processes\' CPU and PostgreSQL\'s over its wall time, of the machine\'s cores (the queue server\'s not counted: it may run elsewhere). ' +
        '"× (d\') at most, by its CPU": the rate it would reach were that CPU spread over every core from start to end, against (d\'). ' +
        'A contender near it waits for CPU, not for a stage: on this machine only spending less CPU per line makes it faster; one far below it waits on something else (start-up, a lock, a stage).',
    );
    return notes;
  }

  private async machine(): Promise<BenchReport['machine']> {
    const c = new pg.Client({ connectionString: this.o.databaseUrl });
    await c.connect();
    const version = (await c.query('SHOW server_version')).rows[0].server_version;
    await c.end();
    let redis = 'not used';
    const redisUrl = this.o.naiveRedisUrl ?? this.o.queues.find((q) => chosenBackend(q).name === 'redis')?.url;
    if (redisUrl) {
      const r = new Redis(redisUrl);
      redis = /redis_version:(\S+)/.exec(await r.info('server'))?.[1] ?? 'unknown';
      r.disconnect();
    }
    return {
      cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.versions.node, postgres: `PostgreSQL ${version}`, redis,
    };
  }

  /** Writes the report files; the per-role logs stay in the work directory for a look. */
  write(report: BenchReport) {
    const files = writeReport(this.o.outDir, report);
    return { ...files, logs: this.ctx.work };
  }
}
