/**
 * The database layout, derived from the log-type registry. `public` holds only the log-record
 * tables (one per type, range-partitioned by day); their partitions live in `logpipe_partitions`
 * and the pipeline's bookkeeping in `logpipe`, so that counting rows over `public` counts records.
 */
import { LOG_TYPES } from '../logtypes/registry.js';
import type { Column, IndexDef, LogType, PgType, RollupDef } from '../logtypes/types.js';

export const BOOK_SCHEMA = 'logpipe';
export const PARTITION_SCHEMA = 'logpipe_partitions';

/**
 * Columns every log table has after the type's own: where the record came from. A line number
 * is an integer: a file of more than 2,147,483,647 lines has its later lines quarantined as
 * bad_number (the quarantine's line_no is a bigint).
 */
export const PROVENANCE_COLUMNS: Column[] = [
  { name: 'file_id', type: 'integer', nullable: false, doc: 'source file (logpipe.files.id)' },
  { name: 'line_no', type: 'integer', nullable: false, doc: '1-based line number in the source file' },
];

/** An index every log table has: BRIN on ts, a few pages per time range, for any time window inside a day. */
const TS_BRIN: IndexDef = { name: 'ts_brin', on: 'ts', method: 'brin', with: 'pages_per_range = 32', why: 'time windows inside a day still in arrival order (today, yesterday, or with `maintain --no-cluster`): edges of rollup windows; a few kB per day' };

export function tableColumns(type: LogType): Column[] {
  return [...type.columns, ...PROVENANCE_COLUMNS];
}

// Fixed-width columns first, widest first, then the variable-width ones: no alignment padding
// between them (measured: 9 bytes a firewall row). COPY names its columns, so the table's order
// is free.
const ALIGN: Record<PgType, number> = { timestamptz: 0, bigint: 0, integer: 1, enum: 1, boolean: 2, inet: 3, text: 3, jsonb: 3 };

/** The SQL type of a column: an enum is logpipe.<type>_<column>. */
export function sqlType(type: LogType, c: Column): string {
  return c.type === 'enum' ? `${BOOK_SCHEMA}.${type.name}_${c.name}` : c.type;
}

/** CREATE TYPE … AS ENUM for the type's enum columns, if missing (labels only ever added, by migrations). */
function enumDdl(type: LogType): string[] {
  return type.columns.filter((c) => c.type === 'enum').map((c) =>
    `DO $$ BEGIN CREATE TYPE ${sqlType(type, c)} AS ENUM (${c.values!.map((v) => `'${v}'`).join(', ')}); EXCEPTION WHEN duplicate_object THEN NULL; END $$;`);
}

export function tableDdl(type: LogType): string {
  const cols = tableColumns(type)
    .map((c, i) => ({ c, i }))
    .sort((a, b) => ALIGN[a.c.type] - ALIGN[b.c.type] || a.i - b.i)
    .map(({ c }) => `  ${c.name} ${sqlType(type, c)}${c.nullable ? '' : ' NOT NULL'}`);
  const lines = [
    `-- ${type.description}`,
    ...enumDdl(type),
    `CREATE TABLE IF NOT EXISTS public.${type.table} (\n${cols.join(',\n')}\n) PARTITION BY RANGE (ts);`,
  ];
  for (const ix of [...type.indexes, TS_BRIN]) {
    lines.push(`-- ${ix.why}`);
    const withClause = ix.with ? ` WITH (${ix.with})` : '';
    lines.push(
      `CREATE INDEX IF NOT EXISTS ${type.table}_${ix.name} ON public.${type.table}` +
        `${ix.method ? ` USING ${ix.method}` : ''} (${ix.on})${withClause}${ix.where ? ` WHERE ${ix.where}` : ''};`,
    );
  }
  for (const r of type.rollups ?? []) lines.push(rollupDdl(type, r));
  return lines.join('\n');
}

/** logpipe.<type>_<rollup>: the rollup's table. */
export function rollupTable(type: LogType, r: RollupDef): string {
  return `${BOOK_SCHEMA}.${type.name}_${r.name}`;
}

/** The bucket column of a rollup: `hour` (timestamptz), `day` (date), or none. */
export function bucketColumn(r: RollupDef): { name: string; type: string } | null {
  return r.grain === 'hour' ? { name: 'hour', type: 'timestamptz' } : r.grain === 'day' ? { name: 'day', type: 'date' } : null;
}

export function rollupDdl(type: LogType, r: RollupDef): string {
  const bucket = bucketColumn(r);
  const keyCols = r.keys.map((k) => `  ${k} ${sqlType(type, type.columns.find((c) => c.name === k)!)} NOT NULL`);
  const cols = [
    ...(bucket ? [`  ${bucket.name} ${bucket.type} NOT NULL`] : []),
    ...keyCols,
    ...(r.presence ? [] : ['  events bigint NOT NULL']),
    ...(r.firstLast ? ['  first_seen timestamptz NOT NULL', '  last_seen timestamptz NOT NULL'] : []),
    `  PRIMARY KEY (${[...r.keys, ...(bucket ? [bucket.name] : [])].join(', ')})`,
  ];
  // Updated in place by every batch: room on each page lets the updates be HOT (no index entry,
  // old versions pruned as pages are read) instead of growing the table until vacuum. A ranked
  // rollup's updates change an indexed column, so they cannot be HOT, and a presence rollup's
  // rows are never updated: no room kept.
  const table = `-- ${r.why}\nCREATE TABLE IF NOT EXISTS ${rollupTable(type, r)} (\n${cols.join(',\n')}\n) WITH (fillfactor = ${r.rankedBy || r.presence ? 100 : 50});`;
  if (!r.rankedBy) return table;
  return `${table}\nCREATE INDEX IF NOT EXISTS ${type.name}_${r.name}_ranked ON ${rollupTable(type, r)} (${r.rankedBy});`;
}

export const BOOKKEEPING_DDL = `
CREATE SCHEMA IF NOT EXISTS ${BOOK_SCHEMA};
CREATE SCHEMA IF NOT EXISTS ${PARTITION_SCHEMA};

-- Versions of this schema applied (src/store/migrations.ts), each once.
CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- One row per source file, identified by a fingerprint of its first bytes (decompressed for
-- .gz), not its name, so a renamed, rotated or compressed file is still the same file and a
-- truncated/replaced one is a new one.
CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.files (
  id               serial PRIMARY KEY,
  fingerprint      bytea NOT NULL UNIQUE,      -- sha256 of the first fp_len bytes
  fp_len           integer NOT NULL,
  path             text NOT NULL,              -- where it was last seen
  compressed       boolean NOT NULL DEFAULT false,
  chunk_max_lines  integer NOT NULL,           -- chunk bounds fixed at first sight, so chunk ids stay stable
  chunk_max_bytes  integer NOT NULL,
  lines_read       bigint NOT NULL DEFAULT 0,  -- lines the reader has cut into chunks so far
  read_offset      bigint NOT NULL DEFAULT 0,  -- (uncompressed) byte offset just past them
  chunks_published bigint NOT NULL DEFAULT 0,  -- messages added to the queue (republished ones count again)
  reading          boolean NOT NULL DEFAULT false, -- a reader's pass over it is under way (or was cut short)
  size_seen        bigint,                     -- the file's size and mtime at the end of the last pass:
  mtime_seen       timestamptz,                --   unchanged since, it has nothing new to read
  retired_offset   bigint NOT NULL DEFAULT 0,  -- retention removed the ledger rows before this offset
  retired_line     bigint NOT NULL DEFAULT 1,  --   and line: reading resumes here at the earliest,
  retired_lines    bigint NOT NULL DEFAULT 0,  --   and their counts stay here, so the file's
  retired_records  bigint NOT NULL DEFAULT 0,  --   totals still add up
  retired_quarantined bigint NOT NULL DEFAULT 0,
  retired_blank    bigint NOT NULL DEFAULT 0,
  first_seen       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Inputs the reader could not read (permissions, dangling links, vanished files), by path: a
-- file that cannot be opened has no fingerprint, so it cannot be a row of files. Resolved, not
-- deleted, once the path is read again.
CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.input_errors (
  path        text PRIMARY KEY,
  code        text NOT NULL,                   -- EACCES, ENOENT, ELOOP, EISDIR, Z_DATA_ERROR, …
  message     text NOT NULL,
  first_seen  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now(),
  occurrences integer NOT NULL DEFAULT 1,
  resolved_at timestamptz
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
  last_ts      timestamptz,                    -- the newest record's time (null: no records): retention's age
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

-- Partitions of closed days whose indexes were rebuilt compact (logpipe maintain).
CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.compacted (
  partition    text PRIMARY KEY,
  compacted_at timestamptz NOT NULL DEFAULT now()
);

-- Settings the data depends on, recorded at creation: rollups.watchedPorts (the ports whose
-- connections the firewall rollups keep) must be what every processor counts.
CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.settings (
  key   text PRIMARY KEY,
  value jsonb NOT NULL
);

-- Quarantined lines per day (of commit), log type ('none' if no type recognised the line) and
-- reason, kept in the same transactions: the live view reads it instead of the quarantine.
CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.quarantine_counts (
  day      date NOT NULL,
  log_type text NOT NULL,
  reason   text NOT NULL,
  lines    bigint NOT NULL,
  PRIMARY KEY (day, log_type, reason)
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

/** Markdown table of every log table's columns and indexes, for the README. */
export function schemaMarkdown(): string {
  const out: string[] = [];
  for (const type of LOG_TYPES) {
    out.push(`#### \`public.${type.table}\` (${type.name}) — ${type.description}`, '', '| column | type | null | meaning |', '|---|---|---|---|');
    for (const c of tableColumns(type)) out.push(`| ${c.name} | ${c.type === 'enum' ? `enum (${c.values!.join(', ')})` : c.type} | ${c.nullable ? 'yes' : 'no'} | ${c.doc} |`);
    out.push('', 'Indexes:', '');
    for (const ix of [...type.indexes, TS_BRIN]) out.push(`- \`(${ix.on})\`${ix.method ? ` ${ix.method}` : ''}${ix.where ? ` where \`${ix.where}\`` : ''}: ${ix.why}`);
    if (type.clusterBy) out.push(`- closed days' rows ordered by \`(${type.clusterBy.on})\` (\`logpipe maintain\`): ${type.clusterBy.why}`);
    for (const r of type.rollups ?? []) {
      const by = [...(bucketColumn(r) ? [bucketColumn(r)!.name] : []), ...r.keys].join(', ');
      const where = r.where ? ` where ${r.where.column} in ${Array.isArray(r.where.values) ? r.where.values.join(', ') : 'rollups.watchedPorts'}` : '';
      const what = r.presence ? 'seen' : `events${r.firstLast ? ', first and last seen' : ''}`;
      out.push(`- rollup \`${rollupTable(type, r)}\` (${by}: ${what}${where}): ${r.why}`);
    }
    out.push('');
  }
  return out.join('\n');
}
