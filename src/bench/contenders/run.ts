/** (c) logpipe run: the reader and the processor loops in one process, over the in-process queue. */
import { createPool, withClient } from '../../store/db.js';
import { initDb } from '../../store/init.js';
import { committedTotals } from '../../store/status.js';
import { contenderRun, type BenchContext, type Contender } from '../context.js';
import { dbUrl, LOGPIPE_SCHEMAS, onDiskBytes, resetDatabase } from '../database.js';
import { cpuSince, postgresCpuProbe } from '../measure.js';
import { watch } from '../progress.js';
import type { ContenderRun } from '../report.js';
import { exitedBadly, readUsage, spawnRole, stopRoles } from '../roles.js';

export function runContender(ctx: BenchContext): Contender {
  return {
    id: 'logpipe-run',
    async run(repeat: number): Promise<ContenderRun> {
      await resetDatabase(ctx.o.databaseUrl, ctx.logpipeDb);
      const url = dbUrl(ctx.o.databaseUrl, ctx.logpipeDb);
      const pool = createPool(url, 2);
      try {
        await withClient(pool, initDb);
        const pgCpuUsed = cpuSince(await withClient(pool, postgresCpuProbe));
        const role = spawnRole('run', ['run', '--no-summary'], ctx.env({ DATABASE_URL: url, LOGPIPE_QUEUE_KIND: 'memory' }), ctx.roleDir(repeat, 'run'));
        const w = await watch(
          '(c) logpipe run (1 process)',
          ctx.data.totalLines,
          async () => {
            const c = await committedTotals(pool);
            return { rows: c.records, lines: c.lines, queue: 0 };
          },
          (s) => s.lines >= ctx.data.totalLines,
          exitedBadly([role]),
        );
        const postgresCpuSeconds = pgCpuUsed();
        await stopRoles([role]);
        const u = readUsage(role);
        const bytes = await withClient(pool, (c) => onDiskBytes(c, LOGPIPE_SCHEMAS));
        return contenderRun({ id: 'logpipe-run', label: '(c) logpipe run (one process)', lines: ctx.data.totalLines, watched: w, usages: [u], postgresCpuSeconds, bytesOnDisk: bytes });
      } finally {
        await pool.end();
      }
    },
  };
}
