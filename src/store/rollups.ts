/**
 * The rollups' SQL: writing a batch's counts (one statement for all of them, in the batch's
 * transaction), and what each rollup must equal — a GROUP BY over its log table — for rebuilding
 * it and for checking it.
 */
import type pg from 'pg';
import { LOG_TYPES } from '../logtypes/registry.js';
import type { LogType } from '../logtypes/types.js';
import { countColumns, filterValues, ROLLUPS, sentWidth, type Rollup } from '../logtypes/rollups.js';
import type { RollupColumns } from './rows.js';
import { BOOK_SCHEMA, bucketColumn, rollupTable, sqlType } from './schema.js';

const HOUR_MS = 3_600_000;

/** A rollup table's columns: its bucket, its keys, its counts. */
const rollupColumns = (r: Rollup) => [...(bucketColumn(r.def) ? [bucketColumn(r.def)!.name] : []), ...r.def.keys, ...countColumns(r.def)];
const rollupColumnList = (r: Rollup) => rollupColumns(r).join(', ');

/** Per rollup: the INSERT … ON CONFLICT of its counts, read from newline-joined text parameters from `first` on (exported for scripts/measure.mjs, which times each alone). */
export function upsertSql(r: Rollup, first: number): { sql: string; params: number } {
  const bucket = bucketColumn(r.def);
  const keys = r.def.keys.map((k) => ({ name: k, type: sqlType(r.type, r.type.columns.find((c) => c.name === k)!) }));
  const presence = Boolean(r.def.presence);
  const n = sentWidth(r.def);
  const col = (i: number) => `string_to_table($${first + i}, E'\\n')`;
  // The bucket arrives as hours or days since the epoch, first and last as epoch milliseconds.
  const bucketExpr = r.def.grain === 'hour' ? `to_timestamp(b::bigint * 3600)` : r.def.grain === 'day' ? `date '1970-01-01' + b::int` : null;
  const inputs = Array.from({ length: n }, (_, i) => col(i));
  const aliases = ['b', ...keys.map((_, i) => `k${i}`), ...(presence ? [] : ['n']), ...(r.def.firstLast ? ['f', 'l'] : [])];
  const groupCols = [...(bucketExpr ? [bucketExpr] : []), ...keys.map((k, i) => `k${i}::${k.type}`)];
  const select = [...groupCols, ...(presence ? [] : ['sum(n::bigint)']), ...(r.def.firstLast ? ['to_timestamp(min(f::bigint) / 1000.0)', 'to_timestamp(max(l::bigint) / 1000.0)'] : [])];
  const names = rollupColumns(r);
  const pk = [...keys.map((k) => k.name), ...(bucket ? [bucket.name] : [])];
  const set = ['events = c.events + EXCLUDED.events', ...(r.def.firstLast ? ['first_seen = least(c.first_seen, EXCLUDED.first_seen)', 'last_seen = greatest(c.last_seen, EXCLUDED.last_seen)'] : [])];
  return {
    // Summed per key first (a batch's chunks repeat keys; ON CONFLICT may touch a row once), and
    // sorted by the primary key so concurrent processors lock rows in the same order (no deadlocks).
    sql: `INSERT INTO ${rollupTable(r.type, r.def)} AS c (${names.join(', ')})
       SELECT ${select.join(', ')} FROM ROWS FROM (${inputs.join(', ')}) AS u(${aliases.join(', ')})
       GROUP BY ${groupCols.map((_, i) => i + 1).join(', ')} ORDER BY ${pk.map((p) => names.indexOf(p) + 1).join(', ')}
       ON CONFLICT (${pk.join(', ')}) ${presence ? 'DO NOTHING' : `DO UPDATE SET ${set.join(', ')}`}`,
    params: n,
  };
}

let statement: string | null = null;

/** One statement writing the hourly counts (Q4) and every rollup: one round trip a batch. */
function batchSql(): string {
  if (statement) return statement;
  const parts = [`INSERT INTO ${BOOK_SCHEMA}.hourly_counts AS c (log_type, hour, events)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[]) AS u(t, h, n) ORDER BY t, h
       ON CONFLICT (log_type, hour) DO UPDATE SET events = c.events + EXCLUDED.events`];
  let next = 4;
  for (const r of ROLLUPS) {
    const u = upsertSql(r, next);
    parts.push(u.sql);
    next += u.params;
  }
  statement = parts.slice(0, -1).map((p, i) => `${i === 0 ? 'WITH' : ','} w${i} AS (${p})`).join('\n') + '\n' + parts[parts.length - 1];
  return statement;
}

/** Writes hourly counts ([hour, type, events]) and the rollups' counts. Nothing when there are no records. */
export async function writeRollups(client: pg.ClientBase, hours: Map<number, [hour: number, typeIndex: number, events: number]>, counts: RollupColumns[]): Promise<void> {
  if (hours.size === 0) return;
  const params: unknown[] = [[], [], []];
  for (const [hour, typeIndex, n] of hours.values()) {
    (params[0] as string[]).push(LOG_TYPES[typeIndex].name);
    (params[1] as string[]).push(new Date(hour * HOUR_MS).toISOString());
    (params[2] as number[]).push(n);
  }
  ROLLUPS.forEach((r, i) => {
    // No rows: empty columns give empty string_to_table results.
    for (let c = 0; c < sentWidth(r.def); c++) params.push(counts[i].rows ? counts[i].columns[c] : null);
  });
  await client.query(batchSql(), params);
}

/**
 * What a rollup must hold: the GROUP BY over its log table (for rebuilding it, and for tests
 * that check it). `watchedPorts` fills in the firewall's filter.
 */
export function rollupSourceSql(r: Rollup, watchedPorts: readonly number[]): string {
  const bucket = bucketColumn(r.def);
  const bucketExpr = r.def.grain === 'hour' ? `date_trunc('hour', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'` : `(ts AT TIME ZONE 'UTC')::date`;
  const values = filterValues(r, watchedPorts);
  const where = [
    ...r.def.keys.map((k) => `${k} IS NOT NULL`),
    ...(values ? [`${r.def.where!.column} IN (${values.map((v) => (typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`)).join(', ')})`] : []),
  ];
  const cols = [
    ...(bucket ? [`${bucketExpr} AS ${bucket.name}`] : []), ...r.def.keys, ...(r.def.presence ? [] : ['count(*)::bigint AS events']),
    ...(r.def.firstLast ? ['min(ts) AS first_seen', 'max(ts) AS last_seen'] : []),
  ];
  return `SELECT ${cols.join(', ')} FROM public.${r.type.table} WHERE ${where.join(' AND ')} GROUP BY ${[...(bucket ? [bucket.name] : []), ...r.def.keys].join(', ')}`;
}

/** What the hourly counts (Q4) must hold: per log type and hour, its events — a GROUP BY over the log tables (of `types`). */
export function hourlyCountsSourceSql(types: readonly LogType[] = LOG_TYPES): string {
  return types.map((t) => `SELECT '${t.name}'::text AS log_type, date_trunc('hour', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, count(*)::bigint AS events FROM public.${t.table} GROUP BY 2`).join('\nUNION ALL ');
}

/** Rows in which two queries' results differ (both ways); 0 when they are the same. */
async function differences(client: pg.ClientBase, a: string, b: string): Promise<number> {
  // Each side parenthesised: a side that is itself a UNION would otherwise bind to the EXCEPT.
  const res = await client.query(`SELECT ((SELECT count(*) FROM ((${a}) EXCEPT (${b})) a) + (SELECT count(*) FROM ((${b}) EXCEPT (${a})) b))::int AS n`);
  return res.rows[0].n;
}

/** Rows in which the rollup and its GROUP BY differ (both ways); 0 when it is right. */
export function rollupDifferences(client: pg.ClientBase, r: Rollup, watchedPorts: readonly number[]): Promise<number> {
  return differences(client, rollupSourceSql(r, watchedPorts), `SELECT ${rollupColumnList(r)} FROM ${rollupTable(r.type, r.def)}`);
}

/** Rows in which the hourly counts and their GROUP BY differ; 0 when they are right. */
export function hourlyCountsDifferences(client: pg.ClientBase): Promise<number> {
  return differences(client, hourlyCountsSourceSql(), `SELECT log_type, hour, events FROM ${BOOK_SCHEMA}.hourly_counts`);
}

/** Fills an empty rollup from its log table in one statement. */
export async function fillRollup(client: pg.ClientBase, r: Rollup, watchedPorts: readonly number[]): Promise<void> {
  await client.query(`INSERT INTO ${rollupTable(r.type, r.def)} (${rollupColumnList(r)}) ${rollupSourceSql(r, watchedPorts)}`);
}

/** Fills the hourly counts of `types`, none yet counted, from their log tables in one statement. */
export async function fillHourlyCounts(client: pg.ClientBase, types: readonly LogType[] = LOG_TYPES): Promise<void> {
  await client.query(`INSERT INTO ${BOOK_SCHEMA}.hourly_counts (log_type, hour, events) ${hourlyCountsSourceSql(types)}`);
}

/** Refills a rollup from its log table (after its watched ports changed, or an upgrade that added it). */
export async function rebuildRollup(client: pg.ClientBase, r: Rollup, watchedPorts: readonly number[]): Promise<void> {
  await client.query(`TRUNCATE ${rollupTable(r.type, r.def)}`);
  await fillRollup(client, r, watchedPorts);
}

/** Every rollup table, for truncating with the rest of the bookkeeping after a reset. */
export const ROLLUP_TABLES = ROLLUPS.map((r) => rollupTable(r.type, r.def));
