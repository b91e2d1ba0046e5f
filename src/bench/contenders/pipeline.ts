/**
 * (b) logpipe as deployed: a reader and `processors` processor processes over a shared queue
 * (Redis Streams, NATS JetStream: whichever is configured). On its first repeat it also keeps
 * the rows it wrote, for the COPY floor, and times the analysts' questions on them.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline as streamPipeline } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { LOG_TYPES } from '../../logtypes/registry.js';
import { chosenBackend, openQueue, type QueueSettings } from '../../queue/registry.js';
import { createPool, withClient } from '../../store/db.js';
import { initDb } from '../../store/init.js';
import { tableColumns } from '../../store/schema.js';
import { committedTotals } from '../../store/status.js';
import { contenderRun, type BenchContext, type Contender } from '../context.js';
import { dbUrl, LOGPIPE_SCHEMAS, onDiskBytes, resetDatabase } from '../database.js';
import { cpuSince, postgresCpuProbe, queueServerCpuProbe, queueServerCpuSince, servicesCpuSince } from '../measure.js';
import { watch } from '../progress.js';
import { timeLogpipeQueries } from '../queries.js';
import type { ContenderRun } from '../report.js';
import { exitedBadly, readUsage, spawnRole, stopRoles, untilReady } from '../roles.js';

export function pipelineContender(ctx: BenchContext, settings: QueueSettings, primary: boolean): Contender & { close(): Promise<void> } {
  const backend = chosenBackend(settings);
  const queue = openQueue({ ...settings, prefix: ctx.o.keyPrefix }, 'bench-observer', 10_000);
  const n = ctx.o.processors;
  const id = `logpipe-${backend.name}`;
  return {
    id,
    close: async () => {
      await queue.destroy().catch(() => {});
      await queue.close();
    },
    async run(repeat: number): Promise<ContenderRun> {
      await resetDatabase(ctx.o.databaseUrl, ctx.logpipeDb);
      await queue.destroy();
      const url = dbUrl(ctx.o.databaseUrl, ctx.logpipeDb);
      const pool = createPool(url, 2);
      try {
        await withClient(pool, initDb); // the schema exists before the clock starts, as for the floor
        const cpuProbe = await withClient(pool, postgresCpuProbe);
        const dir = ctx.roleDir(repeat, backend.name);
        const env = ctx.env({ DATABASE_URL: url, LOGPIPE_QUEUE_KIND: backend.name, LOGPIPE_QUEUE_URL: settings.url ?? '' });
        const processors = Array.from({ length: n }, (_, i) => spawnRole(`processor-${i + 1}`, ['processor'], env, dir));
        // The processors are services: up and waiting on the queue before the clock starts.
        await untilReady('processors', processors[0], async () => ((await queue.stats()).consumers ?? n) >= n);
        const queueCpuUsed = await queueServerCpuSince(queueServerCpuProbe(queue, settings.url));
        const pgCpuUsed = cpuSince(cpuProbe);
        const processorsCpuUsed = servicesCpuSince(processors.map((p) => p.child.pid));
        // The progress line's queue depth, asked twice a second: polling the queue as often as the
        // ledger (every 5–25 ms) would take CPU from the pipeline being measured.
        const depth = sampled(() => queue.stats().then((st) => st.depth), 500);
        const reader = spawnRole('reader', ['reader'], env, dir);
        const w = await watch(
          `(b) logpipe, ${backend.name}, ${n} proc.`,
          ctx.data.totalLines,
          async () => {
            const c = await committedTotals(pool);
            return { rows: c.records, lines: c.lines, queue: depth.latest() };
          },
          (s) => s.lines >= ctx.data.totalLines,
          exitedBadly([...processors, reader]),
        );
        const postgresCpuSeconds = pgCpuUsed();
        const processorsCpu = processorsCpuUsed();
        const queueServer = await queueCpuUsed();
        depth.stop();
        await stopRoles([reader], processors);
        const usages = [reader, ...processors].map(readUsage);
        const bytes = await withClient(pool, async (c) => {
          await c.query('VACUUM ANALYZE');
          return onDiskBytes(c, LOGPIPE_SCHEMAS);
        });
        if (repeat === 1 && primary) {
          await dumpParsedRows(ctx, pool, w.last.rows);
          if (!ctx.o.skip.has('queries')) await timeLogpipeQueries(ctx, pool);
        }
        return contenderRun({
          id, label: `(b) logpipe reader + ${n} processor${n > 1 ? 's' : ''} (${backend.title})`, lines: ctx.data.totalLines, watched: w, usages,
          roles: usages.map((_, i) => (i === 0 ? 'reader' : n > 1 ? `processor ${i}` : 'processor')), postgresCpuSeconds, queueServer,
          windowCpuSeconds: [null, ...processorsCpu], bytesOnDisk: bytes,
        });
      } finally {
        await pool.end();
      }
    },
  };
}

/** The last value of `read`, refreshed every `ms` in the background. */
function sampled(read: () => Promise<number>, ms: number): { latest(): number; stop(): void } {
  let value = 0;
  const refresh = () => void read().then((v) => (value = v), () => {});
  refresh();
  const timer = setInterval(refresh, ms);
  return { latest: () => value, stop: () => clearInterval(timer) };
}

/** Saves the rows (b) wrote as COPY text files: the floor loads exactly these. */
async function dumpParsedRows(ctx: BenchContext, pool: pg.Pool, rows: number): Promise<void> {
  const dir = join(ctx.work, 'floor');
  mkdirSync(dir, { recursive: true });
  await withClient(pool, async (c) => {
    const days: number[][] = [];
    for (const t of LOG_TYPES) {
      const cols = tableColumns(t).map((col) => col.name).join(', ');
      await streamPipeline(c.query(copyTo(`COPY (SELECT ${cols} FROM public.${t.table}) TO STDOUT`)), createWriteStream(join(dir, `${t.table}.copy`)));
      // The days of this table's rows: the partitions (b)'s processors made for it, no more.
      days.push((await c.query(`SELECT DISTINCT floor(extract(epoch FROM ts) / 86400)::int AS d FROM public.${t.table}`)).rows.map((r) => r.d));
    }
    ctx.floorDump = { dir, days, rows };
  });
}
