/**
 * Changes to a database made by an earlier release, in order, each applied once. A fresh
 * database is created at the current schema directly (src/store/schema.ts) and stamped with the
 * latest version; these only bring older ones up to it. A database with bookkeeping but no
 * schema_migrations table was made before migrations existed: version 1.
 *
 * To change the schema: edit schema.ts (what a fresh database gets) and add the matching step
 * here with the next version, written to work on every older version's tables (IF EXISTS: the
 * seed's reset may have dropped the log tables, which the schema then recreates).
 */
import { BOOK_SCHEMA } from './schema.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 2,
    name: 'real hosts: envelope host, BIND without response code, files read as they grow, input errors',
    sql: `
      ALTER TABLE IF EXISTS public.firewall_logs ADD COLUMN IF NOT EXISTS hostname text;
      ALTER TABLE IF EXISTS public.dns_logs ADD COLUMN IF NOT EXISTS view text, ADD COLUMN IF NOT EXISTS hostname text,
        ALTER COLUMN response_code DROP NOT NULL;
      ALTER TABLE IF EXISTS public.auth_logs ALTER COLUMN hostname DROP NOT NULL, ALTER COLUMN pid DROP NOT NULL;

      ALTER TABLE ${BOOK_SCHEMA}.files
        ADD COLUMN IF NOT EXISTS read_offset bigint NOT NULL DEFAULT 0,
        ADD COLUMN IF NOT EXISTS reading boolean NOT NULL DEFAULT false,
        ADD COLUMN IF NOT EXISTS size_seen bigint,
        ADD COLUMN IF NOT EXISTS mtime_seen timestamptz;
      -- Where reading got to: the end it recorded, else the end of what is committed.
      UPDATE ${BOOK_SCHEMA}.files f SET
        read_offset = coalesce(f.eof_offset, (SELECT max(c.end_offset) FROM ${BOOK_SCHEMA}.chunks c WHERE c.file_id = f.id), 0),
        reading = f.total_lines IS NULL;
      ALTER TABLE ${BOOK_SCHEMA}.files DROP COLUMN IF EXISTS eof_offset, DROP COLUMN IF EXISTS total_lines;

      CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.input_errors (
        path        text PRIMARY KEY,
        code        text NOT NULL,
        message     text NOT NULL,
        first_seen  timestamptz NOT NULL DEFAULT now(),
        last_seen   timestamptz NOT NULL DEFAULT now(),
        occurrences integer NOT NULL DEFAULT 1,
        resolved_at timestamptz
      );`,
  },
  {
    version: 3,
    name: 'quarantine counts per day, type and reason',
    sql: `
      CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.quarantine_counts (
        day date NOT NULL, log_type text NOT NULL, reason text NOT NULL, lines bigint NOT NULL,
        PRIMARY KEY (day, log_type, reason)
      );
      INSERT INTO ${BOOK_SCHEMA}.quarantine_counts (day, log_type, reason, lines)
      SELECT quarantined_at::date, coalesce(log_type, 'none'), reason, count(*) FROM ${BOOK_SCHEMA}.quarantine GROUP BY 1, 2, 3
      ON CONFLICT DO NOTHING;`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length ? MIGRATIONS[MIGRATIONS.length - 1].version : 1;
