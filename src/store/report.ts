/** What `run` and `queries` print: per-type counts and the seed's questions, as `logpipe query` runs them. */
import type { Writable } from 'node:stream';
import type pg from 'pg';
import { LOG_TYPES } from '../logtypes/registry.js';
import { cellText } from './format.js';
import { INVESTIGATIONS, seedArgs } from './investigations.js';
import { BOOK_SCHEMA } from './schema.js';

export async function printCounts(pool: pg.Pool, out: Writable): Promise<void> {
  for (const t of LOG_TYPES) {
    const n = (await pool.query(`SELECT count(*)::bigint AS n FROM public.${t.table}`)).rows[0].n;
    out.write(`  ${t.table.padEnd(16)} ${String(n).padStart(12)}\n`);
  }
  const q = (await pool.query(`SELECT count(*)::bigint AS n FROM ${BOOK_SCHEMA}.quarantine`)).rows[0].n;
  out.write(`  ${'quarantined'.padEnd(16)} ${String(q).padStart(12)}\n`);
}

/** The seed's six questions (eight queries), each timed, its first `rows` rows shown; lists give their first page. */
export async function printAnalystQueries(pool: pg.Pool, rows: number, out: Writable, watchedPorts: readonly number[]): Promise<void> {
  for (const q of INVESTIGATIONS) {
    const args = seedArgs(q);
    const { sql, params } = q.build(args, watchedPorts);
    const started = performance.now();
    const r = await pool.query(sql, params);
    const ms = performance.now() - started;
    const n = r.rowCount ?? 0;
    const page = q.list && args.limit !== null && n === args.limit ? ' (first page)' : '';
    out.write(`\n${q.id.toUpperCase()} ${q.title} — ${n.toLocaleString('en-US')} ${n === 1 ? 'row' : 'rows'}${page}, ${ms.toFixed(1)} ms  [logpipe query ${q.command}]\n`);
    if (r.rows.length === 0) continue;
    const cols = Object.keys(r.rows[0]);
    out.write(`  ${cols.join(' | ')}\n`);
    for (const row of r.rows.slice(0, rows)) out.write(`  ${cols.map((c) => cellText(row[c])).join(' | ')}\n`);
  }
}
