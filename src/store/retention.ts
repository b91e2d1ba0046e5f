/**
 * Retention by whole days (the functions themselves are in functions.ts): what an administrator
 * runs with `logpipe retention`, what a processor triggers once a day, and the window `init-db`
 * records for the latter.
 */
import type pg from 'pg';
import { BOOK_SCHEMA } from './schema.js';

export interface RetentionRow {
  /** partition: a daily partition dropped (name: its log table); ledger: a file's ledger rows retired (name: file id); quarantine: its quarantine rows; rollup: rollup rows deleted. */
  kind: 'partition' | 'ledger' | 'quarantine' | 'rollup';
  name: string;
  day: string | null;
  rows: number;
  bytes: number | null;
}

const COLUMNS = `kind, name, to_char(day, 'YYYY-MM-DD') AS day, rows::bigint AS rows, bytes::bigint AS bytes`;

/** Drops (or, dry, lists) what is older than `keepDays` before `asOf` (UTC days); the owner's command. */
export async function applyRetention(client: pg.ClientBase, keepDays: number, asOf: Date, dryRun: boolean, rollupKeepDays?: number): Promise<RetentionRow[]> {
  const r = await client.query<RetentionRow>(`SELECT ${COLUMNS} FROM ${BOOK_SCHEMA}.apply_retention($1, $2, $3, $4)`, [keepDays, asOf.toISOString(), dryRun, rollupKeepDays ?? null]);
  return r.rows;
}

/** The window init-db recorded, applied as of now, unless it ran in the last 20 hours: what a processor may trigger. */
export async function retentionDaily(client: pg.ClientBase): Promise<RetentionRow[]> {
  return (await client.query<RetentionRow>(`SELECT ${COLUMNS} FROM ${BOOK_SCHEMA}.retention_daily()`)).rows;
}

/** The window recorded in the database (null: none, keep for ever). */
export async function recordedWindow(client: pg.ClientBase): Promise<{ keepDays: number | null; rollupKeepDays: number | null }> {
  const r = await client.query(`SELECT key, value FROM ${BOOK_SCHEMA}.settings WHERE key IN ('retentionKeepDays', 'retentionRollupKeepDays')`);
  const get = (k: string) => (r.rows.find((x) => x.key === k)?.value as number | undefined) ?? null;
  return { keepDays: get('retentionKeepDays'), rollupKeepDays: get('retentionRollupKeepDays') };
}

/** Records the configured window (init-db): the one retention_daily() applies. */
export async function recordWindow(client: pg.ClientBase, keepDays: number | undefined, rollupKeepDays: number | undefined): Promise<void> {
  for (const [key, value] of [['retentionKeepDays', keepDays], ['retentionRollupKeepDays', rollupKeepDays]] as const) {
    if (value === undefined) continue;
    await client.query(`INSERT INTO ${BOOK_SCHEMA}.settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [key, JSON.stringify(value)]);
  }
}

export interface RetentionSummary {
  /** Per log table: days dropped, rows, bytes. */
  tables: { table: string; days: string[]; rows: number; bytes: number }[];
  ledgerRows: number;
  quarantineRows: number;
  rollupRows: number;
}

export function summarizeRetention(rows: RetentionRow[]): RetentionSummary {
  const tables = new Map<string, RetentionSummary['tables'][number]>();
  for (const r of rows.filter((x) => x.kind === 'partition')) {
    const t = tables.get(r.name) ?? { table: r.name, days: [], rows: 0, bytes: 0 };
    t.days.push(r.day!);
    t.rows += Number(r.rows);
    t.bytes += Number(r.bytes ?? 0);
    tables.set(r.name, t);
  }
  const sum = (kind: RetentionRow['kind']) => rows.filter((r) => r.kind === kind).reduce((a, r) => a + Number(r.rows), 0);
  return { tables: [...tables.values()], ledgerRows: sum('ledger'), quarantineRows: sum('quarantine'), rollupRows: sum('rollup') };
}
