/**
 * Bringing a database to the current schema: create it if it is new, migrate it if an earlier
 * release made it, recreate log tables a reset dropped, (re)create the functions writers go
 * through for DDL, and grant the roles their rights. Only `init-db` runs it (and a command that
 * creates the embedded cluster, which is logpipe's own): every step is one transaction under
 * one advisory lock, so concurrent runs apply each migration exactly once.
 */
import type pg from 'pg';
import { LOG_TYPES } from '../logtypes/registry.js';
import { DEFAULT_WATCHED_PORTS, ROLLUPS } from '../logtypes/rollups.js';
import { functionsDdl } from './functions.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { grantRoles } from './roles.js';
import { rebuildRollup, ROLLUP_TABLES } from './rollups.js';
import { BOOK_SCHEMA, BOOKKEEPING_DDL, tableDdl } from './schema.js';

export interface InitResult {
  createdTables: string[];
  /** Migrations applied by this call, by name. */
  migrated: string[];
  /** True when every log table was missing but bookkeeping remained (a reset dropped public). */
  bookkeepingReset: boolean;
  /** The roles logpipe_ingest and logpipe_analyst exist and were granted their rights. */
  granted: boolean;
}

const LOCK = `SELECT pg_advisory_xact_lock(hashtext('logpipe:init-db'))`;

async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(LOCK);
    const out = await fn();
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** The schema version of the database: 0 when it has no logpipe bookkeeping at all. */
export async function schemaVersion(client: pg.ClientBase): Promise<number> {
  const r = await client.query(
    `SELECT to_regclass('${BOOK_SCHEMA}.files') IS NOT NULL AS book, to_regclass('${BOOK_SCHEMA}.schema_migrations') IS NOT NULL AS versions`,
  );
  if (!r.rows[0].book) return 0;
  if (!r.rows[0].versions) return 1;
  return (await client.query(`SELECT coalesce(max(version), 1)::int AS v FROM ${BOOK_SCHEMA}.schema_migrations`)).rows[0].v;
}

/**
 * Creates what is missing and applies pending migrations; a second run changes nothing. If all
 * log tables are gone while the ledger still lists committed chunks (the seed's reset drops every
 * public table), the ledger would claim rows that no longer exist, so the bookkeeping is cleared.
 */
export async function initDb(client: pg.ClientBase, opts: { watchedPorts?: readonly number[] } = {}): Promise<InitResult> {
  const migrated: string[] = [];
  for (;;) {
    // One migration per transaction; the version is read again under the lock each time.
    const applied = await inTransaction(client, async () => {
      const version = await schemaVersion(client);
      const next = version === 0 ? undefined : MIGRATIONS.find((m) => m.version > version);
      if (!next) return null;
      if (typeof next.up === 'string') await client.query(next.up);
      else await next.up(client);
      await client.query(`CREATE TABLE IF NOT EXISTS ${BOOK_SCHEMA}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      await client.query(`INSERT INTO ${BOOK_SCHEMA}.schema_migrations (version, name) VALUES ($1, $2)`, [next.version, next.name]);
      return next.name;
    });
    if (applied === null) break;
    migrated.push(applied);
  }
  return inTransaction(client, async () => {
    const fresh = (await schemaVersion(client)) === 0;
    const existing = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = ANY($1)`,
      [LOG_TYPES.map((t) => t.table)],
    );
    const have = new Set(existing.rows.map((r) => r.relname));
    await client.query(BOOKKEEPING_DDL);
    if (fresh) {
      await client.query(
        `INSERT INTO ${BOOK_SCHEMA}.schema_migrations (version, name) SELECT v, $2 FROM generate_series(1, $1::int) v ON CONFLICT DO NOTHING`,
        [SCHEMA_VERSION, 'created at this version'],
      );
    }
    for (const type of LOG_TYPES) await client.query(tableDdl(type));
    // The functions through which writers cause DDL, owned by whoever runs this (the administrator).
    await client.query(functionsDdl());
    const granted = await grantRoles(client);
    await client.query(`INSERT INTO ${BOOK_SCHEMA}.settings (key, value) VALUES ('watchedPorts', $1) ON CONFLICT DO NOTHING`, [
      JSON.stringify(opts.watchedPorts ?? DEFAULT_WATCHED_PORTS),
    ]);
    let bookkeepingReset = false;
    if (have.size === 0 && !fresh) {
      const r = await client.query(`SELECT EXISTS (SELECT 1 FROM ${BOOK_SCHEMA}.files) AS any`);
      if (r.rows[0].any) {
        await client.query(
          `TRUNCATE ${BOOK_SCHEMA}.chunks, ${BOOK_SCHEMA}.quarantine, ${BOOK_SCHEMA}.quarantine_counts, ${BOOK_SCHEMA}.hourly_counts, ${ROLLUP_TABLES.join(', ')}, ${BOOK_SCHEMA}.input_errors, ${BOOK_SCHEMA}.files RESTART IDENTITY`,
        );
        bookkeepingReset = true;
      }
    }
    return { createdTables: LOG_TYPES.filter((t) => !have.has(t.table)).map((t) => t.table), migrated, bookkeepingReset, granted };
  });
}

/**
 * The watched ports of the database (the firewall rollups count connections to them). With
 * `change`, an administrator's init-db makes them `configured` and rebuilds the rollups that
 * depend on them from the table; otherwise the database's list wins (every processor must count
 * alike), and `differs` says the configuration disagrees.
 */
export async function watchedPorts(
  client: pg.ClientBase,
  configured: readonly number[],
  change: boolean,
): Promise<{ ports: number[]; differs: boolean; rebuilt: boolean }> {
  const r = await client.query(`SELECT value FROM ${BOOK_SCHEMA}.settings WHERE key = 'watchedPorts'`);
  const stored: number[] = r.rows[0]?.value ?? [...DEFAULT_WATCHED_PORTS];
  const same = JSON.stringify([...stored].sort((a, b) => a - b)) === JSON.stringify([...configured].sort((a, b) => a - b));
  if (same || !change) return { ports: stored, differs: !same, rebuilt: false };
  await inTransaction(client, async () => {
    await client.query(`INSERT INTO ${BOOK_SCHEMA}.settings (key, value) VALUES ('watchedPorts', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [JSON.stringify(configured)]);
    for (const rollup of ROLLUPS) if (rollup.def.where?.values === 'watchedPorts') await rebuildRollup(client, rollup, configured);
  });
  return { ports: [...configured], differs: false, rebuilt: true };
}
