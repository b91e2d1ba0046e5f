/**
 * Every analyst question: those the log types declare (src/logtypes/<type>/investigations.ts)
 * and Q4, the volume per log type per hour, which spans them all. `logpipe query` runs them,
 * `logpipe queries` runs each one's seed question, and queries/*.sql holds those for psql.
 */
import { LOG_TYPES } from '../logtypes/registry.js';
import { DEFAULT_PAGE, hybrid, naiveWindow, plainWindow, type Investigation, type QueryArgs } from '../logtypes/query/investigation.js';
import { and, EVERYTHING, Params } from '../logtypes/query/windows.js';

export { DEFAULT_PAGE, type BuiltQuery, type Investigation, type QueryArgs } from '../logtypes/query/investigation.js';

const hourOfTs = `date_trunc('hour', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;

const volume: Investigation = {
  id: 'q4', command: 'volume', title: 'events per log type per hour', list: false, needs: [],
  seed: {}, file: 'q4_capacity_per_hour.sql',
  build(a) {
    const p = new Params();
    const parts = hybrid(a, 'hour', p,
      (w) => `SELECT log_type, hour, events FROM logpipe.hourly_counts WHERE ${and(w)}`,
      (w) => LOG_TYPES.map((t) => `SELECT '${t.name}' AS log_type, ${hourOfTs} AS hour, count(*) AS events FROM ${t.table} WHERE ${w} GROUP BY 2`).join('\n  UNION ALL\n  '));
    return { sql: `SELECT log_type, hour, sum(events)::bigint AS events FROM (\n  ${parts}\n) u\n GROUP BY log_type, hour\n ORDER BY hour, log_type`, params: p.values };
  },
  reference(a) {
    const p = new Params();
    const w = plainWindow(a, p);
    const union = LOG_TYPES.map((t) => `SELECT '${t.name}' AS log_type, ${hourOfTs} AS hour FROM ${t.table} WHERE ${w}`).join(' UNION ALL ');
    return { sql: `SELECT log_type, hour, count(*)::bigint AS events FROM (${union}) u GROUP BY 1, 2 ORDER BY hour, log_type`, params: p.values };
  },
  naive(a) {
    const p = new Params();
    return { sql: `SELECT log_type, date_trunc('hour', timestamp::timestamptz) AS hour, count(*) FROM logs WHERE ${and(naiveWindow(a, p))} GROUP BY 1, 2 ORDER BY 2, 1`, params: p.values };
  },
};

/** Every question, by id. */
export const INVESTIGATIONS: Investigation[] = [volume, ...LOG_TYPES.flatMap((t) => t.investigations ?? [])]
  .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));

{
  const seen = new Set<string>();
  for (const q of INVESTIGATIONS) {
    for (const key of [q.id, q.command, q.file]) {
      if (seen.has(key)) throw new Error(`two investigations are named ${key}`);
      seen.add(key);
    }
  }
}

/** An investigation's seed question, with the defaults `logpipe query` uses. */
export function seedArgs(q: Investigation): QueryArgs {
  return { window: EVERYTHING, limit: DEFAULT_PAGE, top: 20, ...q.seed };
}

function literal(v: unknown): string {
  if (Array.isArray(v)) return `ARRAY[${v.map(literal).join(', ')}]`;
  if (typeof v === 'number') return String(v);
  return `'${String(v).replaceAll("'", "''")}'`;
}

/** The seed question as a psql-ready file: parameters inlined, highest placeholder first ($10 before $1). */
export function renderQueryFile(q: Investigation, watchedPorts: readonly number[]): string {
  const { sql, params } = q.build(seedArgs(q), watchedPorts);
  let out = sql;
  for (let i = params.length; i >= 1; i--) out = out.replaceAll(`$${i}`, literal(params[i - 1]));
  return `-- ${q.id.toUpperCase()}: ${q.title}\n-- (as \`logpipe query ${q.command}\` runs it with the seed's arguments; parameters inlined)\n${out};\n`;
}
