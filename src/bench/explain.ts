/** What a query costs and how PostgreSQL answers it: timings, and the plan's access path. */
import type pg from 'pg';
import { median } from './measure.js';

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

/** Median time of `runs` executions on one connection, after a warm-up. */
export async function timeQuery(client: pg.ClientBase, sql: string, params: unknown[], runs: number): Promise<{ ms: number; rows: number }> {
  let rows = (await client.query(sql, params)).rowCount ?? 0; // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    rows = (await client.query(sql, params)).rowCount ?? 0;
    times.push(performance.now() - t);
  }
  return { ms: median(times), rows };
}
