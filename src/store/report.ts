/** What `run` and `queries` print: per-type counts and the analyst queries' first rows. */
import type { Writable } from 'node:stream';
import type pg from 'pg';
import { LOG_TYPES } from '../logtypes/registry.js';
import { ANALYST_QUERIES } from './queries.js';
import { BOOK_SCHEMA } from './schema.js';

function cell(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.join(',');
  return v === null ? '∅' : String(v);
}

export async function printCounts(pool: pg.Pool, out: Writable): Promise<void> {
  for (const t of LOG_TYPES) {
    const n = (await pool.query(`SELECT count(*)::bigint AS n FROM public.${t.table}`)).rows[0].n;
    out.write(`  ${t.table.padEnd(16)} ${String(n).padStart(12)}\n`);
  }
  const q = (await pool.query(`SELECT count(*)::bigint AS n FROM ${BOOK_SCHEMA}.quarantine`)).rows[0].n;
  out.write(`  ${'quarantined'.padEnd(16)} ${String(q).padStart(12)}\n`);
}

export async function printAnalystQueries(pool: pg.Pool, rows: number, out: Writable): Promise<void> {
  for (const q of ANALYST_QUERIES) {
    const started = performance.now();
    const r = await pool.query(q.sql, q.params);
    const ms = performance.now() - started;
    out.write(`\n${q.id.toUpperCase()} ${q.title} — ${r.rowCount} ${r.rowCount === 1 ? 'row' : 'rows'}, ${ms.toFixed(1)} ms\n`);
    if (r.rows.length === 0) continue;
    const cols = Object.keys(r.rows[0]);
    out.write(`  ${cols.join(' | ')}\n`);
    for (const row of r.rows.slice(0, rows)) out.write(`  ${cols.map((c) => cell(row[c])).join(' | ')}\n`);
  }
}
