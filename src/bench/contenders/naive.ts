/** (a) The seed's pipeline on the first `naiveLines` lines: 1 LPUSH per line, 1 INSERT + COMMIT per row. */
import { Redis } from 'ioredis';
import pg from 'pg';
import { createNaiveTable } from '../../naive/schema.js';
import { contenderRun, type BenchContext, type Contender } from '../context.js';
import { dbUrl, onDiskBytes, resetDatabase } from '../database.js';
import { naiveSubset } from '../dataset.js';
import { redisCpuSeconds } from '../../queue/redis/redis.js';
import { cpuSince, postgresCpuProbe, queueServerCpuSince, servicesCpuSince } from '../measure.js';
import { NAIVE_POLL_MS, watch } from '../progress.js';
import { timeNaiveQueries } from '../queries.js';
import type { ContenderRun } from '../report.js';
import { exitedBadly, readUsage, spawnRole, stopRoles, untilReady } from '../roles.js';

export function naiveContender(ctx: BenchContext, redisUrl: string): Contender & { close(): void } {
  const redis = new Redis(redisUrl);
  const list = `${ctx.o.keyPrefix}:log_queue`;
  let subset: Promise<{ lines: number; expected: number }> | null = null;
  return {
    id: 'naive',
    close: () => {
      void redis.del(list).catch(() => {}).finally(() => redis.disconnect());
    },
    async run(repeat: number): Promise<ContenderRun> {
      await resetDatabase(ctx.o.databaseUrl, ctx.naiveDb);
      await redis.del(list);
      const url = dbUrl(ctx.o.databaseUrl, ctx.naiveDb);
      const { lines, expected } = await (subset ??= naiveSubset(ctx.data, ctx.o.naiveLines));
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await createNaiveTable(client); // so the progress query has a table from the start
        const pgCpu = await postgresCpuProbe(client);
        const dir = ctx.roleDir(repeat, 'naive');
        const env = ctx.env({ DATABASE_URL: url, REDIS_URL: redisUrl });
        const processor = spawnRole('naive-processor', ['naive', 'processor', '--list', list], env, dir);
        // Like a service, the processor is up and waiting (in BRPOP) before the clock starts.
        await untilReady('naive processor', processor, async () => String(await redis.client('LIST')).includes('cmd=brpop'));
        const pgCpuUsed = cpuSince(pgCpu);
        const processorCpuUsed = servicesCpuSince([processor.child.pid]);
        const redisCpuUsed = await queueServerCpuSince({ name: 'redis-server', read: () => redisCpuSeconds(redis) });
        const reader = spawnRole('naive-reader', ['naive', 'reader', '--once', '--list', list, '--max-lines', String(ctx.o.naiveLines)], env, dir);
        const w = await watch(
          `(a) naive, ${lines.toLocaleString('en-US')} lines`,
          expected,
          async () => {
            // max(id) reads the primary key's last entry: the same as count(*) here (no rollbacks), without a scan.
            const rows = (await client.query('SELECT coalesce(max(id), 0)::int AS n FROM logs')).rows[0].n;
            return { rows, lines: rows, queue: await redis.llen(list) };
          },
          (s) => s.rows >= expected,
          exitedBadly([processor, reader]),
          NAIVE_POLL_MS,
        );
        const postgresCpuSeconds = pgCpuUsed();
        const [processorCpu] = processorCpuUsed();
        const queueServer = await redisCpuUsed();
        await stopRoles([reader], [processor]);
        const ur = readUsage(reader);
        const up = readUsage(processor);
        const bytes = await onDiskBytes(client, ['public']);
        if (repeat === 1 && !ctx.o.skip.has('queries')) await timeNaiveQueries(ctx, client, lines);
        return contenderRun({ id: 'naive', label: '(a) naive (seed pipeline)', lines, watched: w, usages: [ur, up], postgresCpuSeconds, queueServer, windowCpuSeconds: [null, processorCpu], bytesOnDisk: bytes });
      } finally {
        await client.end();
      }
    },
  };
}
