/**
 * The database layout, derived from the log-type registry. `public` holds only the log-record
 * tables (one per type, range-partitioned by day); their partitions live in `logpipe_partitions`
 * and the pipeline's bookkeeping in `logpipe`, so that counting rows over `public` counts records.
 */
import type pg from 'pg';
import { LOG_TYPES } from '../logtypes/registry.js';
import type { Column, LogType } from '../logtypes/types.js';

export const BOOK_SCHEMA = 'logpipe';
export const PARTITION_SCHEMA = 'logpipe_partitions';

/** Columns every log table has after the type's own: where the record came from. */
export const PROVENANCE_COLUMNS: Column[] = [
  { name: 'file_id', type: 'integer', nullable: false, doc: 'source file (logpipe.files.id)' },
  { name: 'line_no', type: 'bigint', nullable: false, doc: '1-based line number in the source file' },
];

export function tableColumns(type: LogType): Column[] {
  return [...type.columns, ...PROVENANCE_COLUMNS];
}

export function tableDdl(type: LogType): string {
  const cols = tableColumns(type).map((c) => `  ${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}`);
  const lines = [
    `-- ${type.description}`,
    `CREATE TABLE IF NOT EXISTS public.${type.table} (\n${cols.join(',\n')}\n) PARTITION BY RANGE (ts);`,
  ];
  for (const ix of type.indexes) {
    lines.push(`-- ${ix.why}`);
    lines.push(
      `CREATE INDEX IF NOT EXISTS ${type.table}_${ix.name} ON public.${type.table}` +
        `${ix.method ? ` USING ${ix.method}` : ''} (${ix.on})${ix.where ? ` WHERE ${ix.where}` : ''};`,
    );
  }
  return lines.join('\n');
}

export const BOOKKEEPING_DDL = `
CREATE SCHEMA IF NOT EXISTS ${BOOK_SCHEMA};
CREATE SCHEMA IF NOT EXISTS ${PARTITION_SCHEMA};

-- One row per source file, identified by a fingerprint of its first bytes (not its name), so a
-- renamed or rotated file is still the same file and a truncated/replaced one is a new one.
CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.files (
  id               serial PRIMARY KEY,
  fingerprint      bytea NOT NULL UNIQUE,      -- sha256 of the first fp_len bytes
  fp_len           integer NOT NULL,
  path             text NOT NULL,              -- where it was last seen
  compressed       boolean NOT NULL DEFAULT false,
  chunk_max_lines  integer NOT NULL,           -- chunk bounds fixed at first sight, so chunk ids stay stable
  chunk_max_bytes  integer NOT NULL,
  lines_read       bigint NOT NULL DEFAULT 0,  -- lines the reader has cut into chunks so far
  chunks_published bigint NOT NULL DEFAULT 0,  -- messages added to the queue (republished ones count again)
  eof_offset       bigint,                     -- set once the whole (non-followed) file was read
  total_lines      bigint,
  first_seen       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- The ledger: every committed chunk, written in the same transaction as its rows. Its byte
-- ranges never overlap within a file (exclusion constraint), which is what makes redelivery and
-- re-reading safe: a chunk already here is acknowledged, never written twice.
CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.chunks (
  file_id      integer NOT NULL REFERENCES ${BOOK_SCHEMA}.files(id) ON DELETE CASCADE,
  start_offset bigint NOT NULL,
  end_offset   bigint NOT NULL,
  first_line   bigint NOT NULL,
  line_count   integer NOT NULL,
  records      integer NOT NULL,
  quarantined  integer NOT NULL,
  blank        integer NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file_id, start_offset),
  CONSTRAINT chunks_no_overlap EXCLUDE USING gist (
    int4range(file_id, file_id, '[]') WITH &&, int8range(start_offset, end_offset) WITH &&)
);

-- Lines that did not become records, with the reason and the raw bytes as evidence.
CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.quarantine (
  file_id        integer NOT NULL,
  line_no        bigint NOT NULL,
  log_type       text,                         -- the type that recognised it, if any
  reason         text NOT NULL,
  detail         text NOT NULL,
  raw            bytea NOT NULL,               -- the line as read (a prefix if line_too_long)
  quarantined_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS quarantine_file_line ON ${BOOK_SCHEMA}.quarantine (file_id, line_no);

-- Q5 top talkers (and any rollup key a log type declares): events per key value per day.
CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.daily_key_counts (
  log_type   text NOT NULL,
  key_column text NOT NULL,
  day        date NOT NULL,
  key_value  text NOT NULL,
  events     bigint NOT NULL,
  PRIMARY KEY (log_type, key_column, day, key_value)
);

-- Q4 capacity: events per type per hour, maintained in each chunk's transaction, so the
-- question over everything reads a few rows instead of every record.
CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.hourly_counts (
  log_type text NOT NULL,
  hour     timestamptz NOT NULL,
  events   bigint NOT NULL,
  PRIMARY KEY (log_type, hour)
);
`;

export function fullDdl(): string {
  return [BOOKKEEPING_DDL.trim(), ...LOG_TYPES.map(tableDdl)].join('\n\n');
}

export interface InitResult {
  createdTables: string[];
  /** True when every log table was missing but bookkeeping remained (a reset dropped public). */
  bookkeepingReset: boolean;
}

/**
 * Creates what is missing; a second run changes nothing. If all log tables are gone while the
 * ledger still lists committed chunks (the seed's reset drops every public table), the ledger
 * would claim rows that no longer exist, so the bookkeeping is cleared with them.
 */
export async function initDb(client: pg.ClientBase): Promise<InitResult> {
  await client.query('BEGIN');
  try {
    // Serialises concurrent starts (reader and processors booting together).
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('logpipe:init-db'))`);
    const existing = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY($1)`,
      [LOG_TYPES.map((t) => t.table)],
    );
    const have = new Set(existing.rows.map((r) => r.relname));
    const createdTables = LOG_TYPES.filter((t) => !have.has(t.table)).map((t) => t.table);
    await client.query(BOOKKEEPING_DDL);
    for (const type of LOG_TYPES) await client.query(tableDdl(type));
    let bookkeepingReset = false;
    if (have.size === 0) {
      const r = await client.query(`SELECT EXISTS (SELECT 1 FROM ${BOOK_SCHEMA}.files) AS any`);
      if (r.rows[0].any) {
        await client.query(`TRUNCATE ${BOOK_SCHEMA}.chunks, ${BOOK_SCHEMA}.quarantine, ${BOOK_SCHEMA}.hourly_counts, ${BOOK_SCHEMA}.daily_key_counts, ${BOOK_SCHEMA}.files RESTART IDENTITY`);
        bookkeepingReset = true;
      }
    }
    await client.query('COMMIT');
    return { createdTables, bookkeepingReset };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Markdown table of every log table's columns and indexes, for the README. */
export function schemaMarkdown(): string {
  const out: string[] = [];
  for (const type of LOG_TYPES) {
    out.push(`#### \`public.${type.table}\` (${type.name}) — ${type.description}`, '', '| column | type | null | meaning |', '|---|---|---|---|');
    for (const c of tableColumns(type)) out.push(`| ${c.name} | ${c.type} | ${c.nullable ? 'yes' : 'no'} | ${c.doc} |`);
    out.push('', 'Indexes:', '');
    for (const ix of type.indexes) out.push(`- \`(${ix.on})\`${ix.where ? ` where \`${ix.where}\`` : ''}: ${ix.why}`);
    for (const k of type.rollupKeys ?? []) out.push(`- rollup \`logpipe.daily_key_counts\` on \`${k.column}\`: ${k.why}`);
    out.push('');
  }
  return out.join('\n');
}
