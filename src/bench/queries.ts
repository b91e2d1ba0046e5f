/** The analysts' questions timed on the data (b) wrote and on the naive table, for the report. */
import type pg from 'pg';
import { DEFAULT_WATCHED_PORTS } from '../logtypes/rollups.js';
import { copyNaiveRows } from '../naive/load.js';
import { withClient } from '../store/db.js';
import { INVESTIGATIONS, seedArgs } from '../store/investigations.js';
import type { BenchContext } from './context.js';
import { accessPath, timeQuery } from './explain.js';

/** Fills the naive table to the whole data set (untimed, same parser) and times the questions on it. */
export async function timeNaiveQueries(ctx: BenchContext, client: pg.Client, skipLines: number): Promise<void> {
  process.stderr.write('filling the naive table to the whole data set for the query comparison (not timed) …\n');
  await copyNaiveRows(client, ctx.data.files, skipLines);
  for (const q of INVESTIGATIONS) {
    if (!q.naive) continue; // a type the naive pipeline does not know
    const { sql, params } = q.naive(seedArgs(q));
    const t = await timeQuery(client, sql, params, ctx.o.queryRuns);
    ctx.naiveQueryMs.set(q.id, { ms: t.ms, access: await accessPath(client, sql, params) });
  }
}

/** Times the questions as `logpipe query` runs them, beside the naive times when there are. */
export async function timeLogpipeQueries(ctx: BenchContext, pool: pg.Pool): Promise<void> {
  await withClient(pool, async (c) => {
    for (const q of INVESTIGATIONS) {
      const { sql, params } = q.build(seedArgs(q), DEFAULT_WATCHED_PORTS);
      const t = await timeQuery(c, sql, params, ctx.o.queryRuns);
      const naive = ctx.naiveQueryMs.get(q.id);
      ctx.queries.push({
        id: q.id, title: q.title, logpipeMs: t.ms, logpipeRows: t.rows,
        logpipeAccess: await accessPath(c, sql, params),
        naiveMs: naive?.ms ?? NaN, naiveAccess: naive?.access ?? 'not run',
      });
    }
  });
}
