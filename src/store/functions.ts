/**
 * The database functions through which logpipe changes its own structure, created (again) by
 * every `init-db` and owned by whoever runs it, the administrator:
 *
 * - logpipe.ensure_partitions(tables, days): the daily partitions a batch needs. SECURITY DEFINER
 *   and granted to logpipe_ingest: the one piece of DDL a processor may cause, and only for the
 *   log tables and days named (the list of tables is written into the function).
 * - logpipe.apply_retention(keep_days, as_of, dry_run, rollup_keep_days): drops whole daily
 *   partitions older than the window and retires the ledger rows (and their quarantine rows)
 *   of the same age, never a DELETE on a log table. Not a definer: the owner runs it
 *   (`logpipe retention`).
 * - logpipe.retention_daily(): SECURITY DEFINER, granted to logpipe_ingest: applies the window
 *   `init-db` recorded (settings.retentionKeepDays), at most once in 20 hours, as of now. A
 *   processor can trigger it; it cannot choose what is dropped.
 *
 * Every definer function pins its search_path, so a caller's objects cannot stand in for ours.
 */
import { LOG_TYPES } from '../logtypes/registry.js';
import { ROLLUPS } from '../logtypes/rollups.js';
import { BOOK_SCHEMA, bucketColumn, PARTITION_SCHEMA, rollupTable } from './schema.js';

const logTables = () => `ARRAY[${LOG_TYPES.map((t) => `'${t.table}'`).join(', ')}]::text[]`;

/** Rollup tables with a time bucket, and their bucket column: what rollup retention ages. */
const agedRollups = () => [
  [`${BOOK_SCHEMA}.hourly_counts`, 'hour'],
  [`${BOOK_SCHEMA}.quarantine_counts`, 'day'],
  ...ROLLUPS.flatMap((r) => (bucketColumn(r.def) ? [[rollupTable(r.type, r.def), bucketColumn(r.def)!.name]] : [])),
];

export function functionsDdl(): string {
  const rollupSteps = agedRollups().map(([table, column]) => `
    EXECUTE format('SELECT count(*) FROM ${table} WHERE ${column} < %L', rollup_cutoff) INTO n;
    IF n > 0 THEN
      IF NOT p_dry_run THEN EXECUTE format('DELETE FROM ${table} WHERE ${column} < %L', rollup_cutoff); END IF;
      kind := 'rollup'; name := '${table}'; day := NULL; rows := n; bytes := NULL; RETURN NEXT;
    END IF;`).join('');
  return `
CREATE OR REPLACE FUNCTION ${BOOK_SCHEMA}.ensure_partitions(p_tables text[], p_days date[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  i int;
  part text;
BEGIN
  -- Created apart, then attached: ATTACH PARTITION takes only a SHARE UPDATE EXCLUSIVE lock on
  -- the parent, which neither waits for nor blocks other processors' COPYs into it. The advisory
  -- lock serialises creators.
  PERFORM pg_advisory_xact_lock(hashtext('logpipe:partitions'));
  FOR i IN 1 .. coalesce(array_length(p_tables, 1), 0) LOOP
    IF NOT (p_tables[i] = ANY (${logTables()})) THEN RAISE EXCEPTION 'not a logpipe log table: %', p_tables[i]; END IF;
    IF p_days[i] < DATE '1970-01-01' OR p_days[i] > DATE '2100-01-01' THEN RAISE EXCEPTION 'no partition for day %', p_days[i]; END IF;
    part := p_tables[i] || '_p' || to_char(p_days[i], 'YYYYMMDD');
    IF to_regclass('${PARTITION_SCHEMA}.' || part) IS NULL THEN
      EXECUTE format('CREATE TABLE ${PARTITION_SCHEMA}.%I (LIKE public.%I INCLUDING DEFAULTS)', part, p_tables[i]);
      EXECUTE format('ALTER TABLE public.%I ATTACH PARTITION ${PARTITION_SCHEMA}.%I FOR VALUES FROM (%L) TO (%L)',
        p_tables[i], part, p_days[i]::text || ' 00:00:00+00', (p_days[i] + 1)::text || ' 00:00:00+00');
    END IF;
  END LOOP;
END $fn$;

CREATE OR REPLACE FUNCTION ${BOOK_SCHEMA}.apply_retention(p_keep_days int, p_as_of timestamptz, p_dry_run boolean, p_rollup_keep_days int DEFAULT NULL)
RETURNS TABLE (kind text, name text, day date, rows bigint, bytes bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  cutoff date := (p_as_of AT TIME ZONE 'UTC')::date - p_keep_days;
  cutoff_ts timestamptz := ((p_as_of AT TIME ZONE 'UTC')::date - p_keep_days)::timestamp AT TIME ZONE 'UTC';
  rollup_cutoff date := CASE WHEN p_rollup_keep_days IS NULL THEN NULL ELSE (p_as_of AT TIME ZONE 'UTC')::date - p_rollup_keep_days END;
  r record;
  f record;
  c record;
  d date;
  n bigint;
  b bigint;
  off bigint;
  line bigint;
  nchunks bigint;
  nl bigint; nr bigint; nq bigint; nb bigint;
BEGIN
  IF p_keep_days IS NULL OR p_keep_days < 1 THEN RAISE EXCEPTION 'retention keeps at least one day (got %)', p_keep_days; END IF;
  PERFORM pg_advisory_xact_lock(hashtext('logpipe:retention'));
  -- Whole daily partitions older than the window: dropped, never DELETEd from.
  FOR r IN
    SELECT ch.relname AS part, pa.relname AS parent
      FROM pg_inherits i
      JOIN pg_class ch ON ch.oid = i.inhrelid JOIN pg_namespace chn ON chn.oid = ch.relnamespace
      JOIN pg_class pa ON pa.oid = i.inhparent JOIN pg_namespace pan ON pan.oid = pa.relnamespace
     WHERE chn.nspname = '${PARTITION_SCHEMA}' AND pan.nspname = 'public' AND pa.relname = ANY (${logTables()})
     ORDER BY pa.relname, ch.relname
  LOOP
    d := to_date(right(r.part, 8), 'YYYYMMDD');
    CONTINUE WHEN d >= cutoff;
    EXECUTE format('SELECT count(*) FROM ${PARTITION_SCHEMA}.%I', r.part) INTO n;
    b := pg_total_relation_size(format('${PARTITION_SCHEMA}.%I', r.part)::regclass);
    IF NOT p_dry_run THEN
      EXECUTE format('DROP TABLE ${PARTITION_SCHEMA}.%I', r.part);
      DELETE FROM ${BOOK_SCHEMA}.compacted WHERE partition = r.part;
    END IF;
    kind := 'partition'; name := r.parent; day := d; rows := n; bytes := b; RETURN NEXT;
  END LOOP;
  -- Each file's ledger rows from its start (or where retention stopped last time) whose records
  -- are all older than the window, in order and without a gap: retired with their quarantine
  -- rows; the file keeps where they ended and their counts, so reading never starts over.
  FOR f IN SELECT id, retired_offset, retired_line FROM ${BOOK_SCHEMA}.files ORDER BY id FOR UPDATE LOOP
    off := f.retired_offset; line := f.retired_line; nchunks := 0; nl := 0; nr := 0; nq := 0; nb := 0;
    FOR c IN SELECT * FROM ${BOOK_SCHEMA}.chunks WHERE file_id = f.id AND start_offset >= f.retired_offset ORDER BY start_offset LOOP
      EXIT WHEN c.start_offset <> off OR (c.records > 0 AND (c.last_ts IS NULL OR c.last_ts >= cutoff_ts));
      off := c.end_offset; line := c.first_line + c.line_count;
      nchunks := nchunks + 1; nl := nl + c.line_count; nr := nr + c.records; nq := nq + c.quarantined; nb := nb + c.blank;
    END LOOP;
    CONTINUE WHEN nchunks = 0;
    IF NOT p_dry_run THEN
      DELETE FROM ${BOOK_SCHEMA}.quarantine WHERE file_id = f.id AND line_no >= f.retired_line AND line_no < line;
      DELETE FROM ${BOOK_SCHEMA}.chunks WHERE file_id = f.id AND start_offset >= f.retired_offset AND start_offset < off;
      UPDATE ${BOOK_SCHEMA}.files SET retired_offset = off, retired_line = line, retired_lines = retired_lines + nl,
             retired_records = retired_records + nr, retired_quarantined = retired_quarantined + nq, retired_blank = retired_blank + nb
       WHERE id = f.id;
    END IF;
    kind := 'ledger'; name := f.id::text; day := NULL; rows := nchunks; bytes := NULL; RETURN NEXT;
    IF nq > 0 THEN kind := 'quarantine'; name := f.id::text; rows := nq; RETURN NEXT; END IF;
  END LOOP;
  -- Rollups: kept for ever unless a rollup window is given.
  IF rollup_cutoff IS NOT NULL THEN${rollupSteps}
  END IF;
END $fn$;

CREATE OR REPLACE FUNCTION ${BOOK_SCHEMA}.retention_daily()
RETURNS TABLE (kind text, name text, day date, rows bigint, bytes bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  keep int;
  rollup_keep int;
  last timestamptz;
BEGIN
  SELECT (value #>> '{}')::int INTO keep FROM ${BOOK_SCHEMA}.settings WHERE key = 'retentionKeepDays';
  IF keep IS NULL THEN RETURN; END IF;
  SELECT (value #>> '{}')::int INTO rollup_keep FROM ${BOOK_SCHEMA}.settings WHERE key = 'retentionRollupKeepDays';
  PERFORM pg_advisory_xact_lock(hashtext('logpipe:retention-daily'));
  SELECT (value #>> '{}')::timestamptz INTO last FROM ${BOOK_SCHEMA}.settings WHERE key = 'retentionLastRun';
  IF last IS NOT NULL AND last > now() - interval '20 hours' THEN RETURN; END IF;
  INSERT INTO ${BOOK_SCHEMA}.settings (key, value) VALUES ('retentionLastRun', to_jsonb(now()))
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
  RETURN QUERY SELECT * FROM ${BOOK_SCHEMA}.apply_retention(keep, now(), false, rollup_keep);
END $fn$;

REVOKE ALL ON FUNCTION ${BOOK_SCHEMA}.ensure_partitions(text[], date[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION ${BOOK_SCHEMA}.apply_retention(int, timestamptz, boolean, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION ${BOOK_SCHEMA}.retention_daily() FROM PUBLIC;
`;
}
