/**
 * (d) The floor: PostgreSQL's own COPY of (b)'s parsed rows into a fresh copy of the schema (same
 * partitioned tables, same indexes; the partitions of the rows' days made on the clock, as (b)
 * makes them). `one`: table after table on one connection, as `psql -c '\copy …'` would, (d);
 * `parallel`: one stream per table at once, (d'); `rollups`: (d') and then the hourly counts and
 * every rollup logpipe keeps, each filled by one GROUP BY over the loaded table, (e) — the least
 * PostgreSQL can spend to hold what logpipe holds.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { LOG_TYPES } from '../../logtypes/registry.js';
import { DEFAULT_WATCHED_PORTS, ROLLUPS } from '../../logtypes/rollups.js';
import { copySqlFor } from '../../store/copy.js';
import { createPool, withClient } from '../../store/db.js';
import { initDb, watchedPorts } from '../../store/init.js';
import { PartitionManager } from '../../store/partitions.js';
import { fillHourlyCounts, fillRollup } from '../../store/rollups.js';
import type { BenchContext, Contender } from '../context.js';
import { dbUrl, LOGPIPE_SCHEMAS, onDiskBytes, resetDatabase } from '../database.js';
import { cpuSince, postgresCpuProbe } from '../measure.js';
import { watch } from '../progress.js';
import type { ContenderRun } from '../report.js';

export type FloorVariant = 'one' | 'parallel' | 'rollups';

const VARIANTS: Record<FloorVariant, { id: string; progress: string; label: string }> = {
  one: { id: 'copy-floor', progress: '(d) COPY floor, 1 stream', label: '(d) COPY floor, one stream (as psql)' },
  parallel: { id: 'copy-parallel', progress: `(d') COPY floor, ${LOG_TYPES.length} streams`, label: `(d') COPY floor, ${LOG_TYPES.length} parallel streams` },
  rollups: { id: 'copy-rollups', progress: "(e) COPY floor + rollups", label: `(e) COPY floor, ${LOG_TYPES.length} streams, then the rollups by GROUP BY` },
};

export function copyFloorContender(ctx: BenchContext, variant: FloorVariant): Contender {
  const { id, progress, label } = VARIANTS[variant];
  const parallel = variant !== 'one';
  return {
    id,
    async run(): Promise<ContenderRun> {
      const dump = ctx.floorDump;
      if (!dump) throw new Error('the COPY floor needs the rows of (b); do not skip it');
      await resetDatabase(ctx.o.databaseUrl, ctx.logpipeDb);
      const pool = createPool(dbUrl(ctx.o.databaseUrl, ctx.logpipeDb), LOG_TYPES.length + 1);
      try {
        await withClient(pool, initDb);
        const { ports } = await withClient(pool, (c) => watchedPorts(c, DEFAULT_WATCHED_PORTS, false)); // the database's, as (b)'s processors count
        const cpuProbe = await withClient(pool, postgresCpuProbe);
        const clients = await Promise.all(LOG_TYPES.map(() => pool.connect()));
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
            pipeline(createReadStream(join(dump.dir, `${LOG_TYPES[i].table}.copy`)), counter(), clients[i].query(copyFrom(copySqlFor(LOG_TYPES[i])('text'))));
          const started = performance.now();
          // The partitions of each table's days are made on the clock, in one call, as (b)'s
          // processors make them when they first meet a day: holding the rows includes making their tables.
          const partitioned = new PartitionManager().ensure(pool, LOG_TYPES.flatMap((t, i) => dump.days[i].map((d) => [t, d] as [typeof t, number])));
          let finishedAt = 0;
          // (e): the hourly counts of each type and every rollup, one statement each, spread over the connections.
          const fills = [...LOG_TYPES.map((t) => (c: pg.ClientBase) => fillHourlyCounts(c, [t])), ...ROLLUPS.map((r) => (c: pg.ClientBase) => fillRollup(c, r, ports))];
          const fillAll = () => Promise.all(clients.map(async (c) => {
            for (let f = fills.shift(); f; f = fills.shift()) await f(c);
          }));
          const load = partitioned
            .then(() => (parallel
              ? Promise.all(LOG_TYPES.map((_, i) => copyTable(i)))
              : LOG_TYPES.reduce<Promise<unknown>>((prev, _, i) => prev.then(() => copyTable(i)), Promise.resolve())))
            .then(() => (variant === 'rollups' ? fillAll() : undefined))
            .then(() => (finishedAt = performance.now()));
          let failure: string | null = null;
          load.catch((err: Error) => (failure = err.message));
          const w = await watch(progress, dump.rows, async () => ({ rows: finishedAt ? dump.rows : Math.min(sent, dump.rows), lines: 0, queue: 0 }), () => finishedAt > 0, () => failure);
          await load;
          const postgresCpuSeconds = pgCpuUsed();
          const wallSeconds = (finishedAt - started) / 1000; // exact: the load's own end, not the poll's
          w.timeline[w.timeline.length - 1] = [Number(wallSeconds.toFixed(3)), dump.rows];
          clients.forEach((c) => c.release());
          clients.length = 0;
          const bytes = await withClient(pool, (c) => onDiskBytes(c, LOGPIPE_SCHEMAS));
          return {
            id,
            label,
            lines: ctx.data.totalLines, rows: dump.rows, wallSeconds,
            processes: [],
            postgresCpuSeconds,
            queue: null,
            bytesPerRow: bytes / dump.rows,
            timeline: w.timeline,
          };
        } finally {
          clients.forEach((c) => c.release());
        }
      } finally {
        await pool.end();
      }
    },
  };
}
