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
import type pg from 'pg';
import { DEFAULT_WATCHED_PORTS, ROLLUPS } from '../logtypes/rollups.js';
import { rebuildRollup } from './rollups.js';
import { BOOK_SCHEMA, rollupDdl } from './schema.js';

export interface Migration {
  version: number;
  name: string;
  /** What it changes, as SQL, or as code for what SQL alone cannot say. */
  up: string | ((client: pg.ClientBase) => Promise<void>);
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 2,
    name: 'real hosts: envelope host, BIND without response code, files read as they grow, input errors',
    up: `
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
    up: `
      CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.quarantine_counts (
        day date NOT NULL, log_type text NOT NULL, reason text NOT NULL, lines bigint NOT NULL,
        PRIMARY KEY (day, log_type, reason)
      );
      INSERT INTO ${BOOK_SCHEMA}.quarantine_counts (day, log_type, reason, lines)
      SELECT quarantined_at::date, coalesce(log_type, 'none'), reason, count(*) FROM ${BOOK_SCHEMA}.quarantine GROUP BY 1, 2, 3
      ON CONFLICT DO NOTHING;`,
  },
  {
    version: 4,
    name: 'analysts at scale: rollups for Q2B, Q3B, Q5, Q6 filled from the tables; smaller indexes; auth status as an enum',
    async up(client) {
      await client.query(`CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.settings (key text PRIMARY KEY, value jsonb NOT NULL)`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.compacted (partition text PRIMARY KEY, compacted_at timestamptz NOT NULL DEFAULT now())`);
      await client.query(`INSERT INTO ${BOOK_SCHEMA}.settings VALUES ('watchedPorts', $1) ON CONFLICT DO NOTHING`, [JSON.stringify(DEFAULT_WATCHED_PORTS)]);
      const tables = await client.query(`SELECT to_regclass('public.firewall_logs') IS NOT NULL AS firewall, to_regclass('public.auth_logs') IS NOT NULL AS auth, to_regclass('public.dns_logs') IS NOT NULL AS dns`);
      const have = tables.rows[0] as Record<string, boolean>;
      // The indexes the rollups replace; the smaller ones that serve the rest are created by the schema after.
      await client.query(`DROP INDEX IF EXISTS public.firewall_logs_src_ts, public.firewall_logs_dport_src_dst, public.auth_logs_failed_user, public.dns_logs_domain_ts`);
      // (The schema then creates firewall (src_ip, hour) and (dst_port), DNS (hash of the domain, ts), and a BRIN on ts everywhere.)
      if (have.auth) {
        // Rewrites the table: the status as a 4-byte enum instead of text.
        await client.query(`DO $$ BEGIN CREATE TYPE ${BOOK_SCHEMA}.auth_status AS ENUM ('Accepted', 'Failed', 'Invalid', 'Closed', 'Disconnected'); EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
        await client.query(`DROP INDEX IF EXISTS public.auth_logs_failed_src_ts`);
        await client.query(`ALTER TABLE public.auth_logs ALTER COLUMN status TYPE ${BOOK_SCHEMA}.auth_status USING status::${BOOK_SCHEMA}.auth_status`);
      }
      for (const r of ROLLUPS) {
        await client.query(rollupDdl(r.type, r.def));
        if (have[r.type.name]) await rebuildRollup(client, r, DEFAULT_WATCHED_PORTS);
      }
      await client.query(`DROP TABLE IF EXISTS ${BOOK_SCHEMA}.daily_key_counts`);
    },
  },
  {
    version: 5,
    name: 'retention: the newest record time of each ledger row; retired ledger prefixes per file',
    // Rows committed before this version get their commit time as their newest record's: never
    // earlier than the records, so retention can only keep them longer than their data, not drop them sooner.
    up: `
      ALTER TABLE ${BOOK_SCHEMA}.chunks ADD COLUMN IF NOT EXISTS last_ts timestamptz;
      UPDATE ${BOOK_SCHEMA}.chunks SET last_ts = committed_at WHERE last_ts IS NULL AND records > 0;
      ALTER TABLE ${BOOK_SCHEMA}.files
        ADD COLUMN IF NOT EXISTS retired_offset bigint NOT NULL DEFAULT 0,
        ADD COLUMN IF NOT EXISTS retired_line bigint NOT NULL DEFAULT 1,
        ADD COLUMN IF NOT EXISTS retired_lines bigint NOT NULL DEFAULT 0,
        ADD COLUMN IF NOT EXISTS retired_records bigint NOT NULL DEFAULT 0,
        ADD COLUMN IF NOT EXISTS retired_quarantined bigint NOT NULL DEFAULT 0,
        ADD COLUMN IF NOT EXISTS retired_blank bigint NOT NULL DEFAULT 0;`,
  },
  {
    version: 6,
    name: 'the (domain, client) pairs of each day kept as presence: no count, never updated',
    // Its counts were never read (Q2B counts distinct clients); without them a pair met again is
    // left as it is (ON CONFLICT DO NOTHING) instead of updated. Dropping the column does not
    // rewrite the table: rows written before keep their space until a VACUUM FULL of it.
    up: `
      ALTER TABLE IF EXISTS ${BOOK_SCHEMA}.dns_domain_clients_daily DROP COLUMN IF EXISTS events;
      ALTER TABLE IF EXISTS ${BOOK_SCHEMA}.dns_domain_clients_daily SET (fillfactor = 100);`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length ? MIGRATIONS[MIGRATIONS.length - 1].version : 1;
