/**
 * Least privilege: two group roles (NOLOGIN), to which an administrator adds login users.
 *
 * - logpipe_ingest, for reader, processor and run: INSERT into the log tables, the bookkeeping
 *   they write (files, input errors, the ledger, quarantine, counts and rollups), SELECT where
 *   they read, and EXECUTE on the two definer functions (partitions, the daily retention). No
 *   DELETE, TRUNCATE, DROP or other DDL: the partitions and the retention's drops happen inside
 *   functions owned by the administrator (src/store/functions.ts).
 * - logpipe_analyst, for status, queries and query: SELECT on the log tables, the rollups, the
 *   quarantine and the bookkeeping `status` shows; nothing else.
 *
 * `init-db --roles` creates them; every `init-db` grants again when they exist, so a table a
 * new release adds is covered.
 */
import type pg from 'pg';
import { LOG_TYPES } from '../logtypes/registry.js';
import { ROLLUP_TABLES } from './rollups.js';
import { BOOK_SCHEMA, PARTITION_SCHEMA } from './schema.js';

export const INGEST_ROLE = 'logpipe_ingest';
export const ANALYST_ROLE = 'logpipe_analyst';

const COUNTS = [`${BOOK_SCHEMA}.hourly_counts`, `${BOOK_SCHEMA}.quarantine_counts`, ...ROLLUP_TABLES];

/** The grants, as statements: derived from the registry, so a new log type or rollup is covered. */
export function grantStatements(): string[] {
  const logs = LOG_TYPES.map((t) => `public.${t.table}`).join(', ');
  const both = `${INGEST_ROLE}, ${ANALYST_ROLE}`;
  return [
    `GRANT USAGE ON SCHEMA public, ${BOOK_SCHEMA}, ${PARTITION_SCHEMA} TO ${both}`,
    // ingest
    `GRANT INSERT ON ${logs} TO ${INGEST_ROLE}`,
    `GRANT SELECT, INSERT, UPDATE ON ${BOOK_SCHEMA}.files, ${BOOK_SCHEMA}.input_errors, ${COUNTS.join(', ')} TO ${INGEST_ROLE}`,
    `GRANT USAGE ON SEQUENCE ${BOOK_SCHEMA}.files_id_seq TO ${INGEST_ROLE}`,
    `GRANT SELECT, INSERT ON ${BOOK_SCHEMA}.chunks TO ${INGEST_ROLE}`,
    `GRANT INSERT ON ${BOOK_SCHEMA}.quarantine TO ${INGEST_ROLE}`,
    `GRANT SELECT ON ${BOOK_SCHEMA}.settings, ${BOOK_SCHEMA}.schema_migrations TO ${INGEST_ROLE}`,
    `GRANT EXECUTE ON FUNCTION ${BOOK_SCHEMA}.ensure_partitions(text[], date[]), ${BOOK_SCHEMA}.retention_daily() TO ${INGEST_ROLE}`,
    // analyst
    `GRANT SELECT ON ${logs}, ${COUNTS.join(', ')}, ${BOOK_SCHEMA}.quarantine, ${BOOK_SCHEMA}.files, ${BOOK_SCHEMA}.chunks, ${BOOK_SCHEMA}.input_errors, ` +
      `${BOOK_SCHEMA}.settings, ${BOOK_SCHEMA}.schema_migrations, ${BOOK_SCHEMA}.compacted TO ${ANALYST_ROLE}`,
  ];
}

/** Creates the two roles if missing (needs CREATEROLE). */
export async function createRoles(client: pg.ClientBase): Promise<string[]> {
  const created: string[] = [];
  for (const role of [INGEST_ROLE, ANALYST_ROLE]) {
    const exists = (await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [role])).rowCount! > 0;
    if (exists) continue;
    await client.query(`CREATE ROLE ${role} NOLOGIN`);
    created.push(role);
  }
  return created;
}

/** Grants what each role needs, when the roles exist; true if they did. */
export async function grantRoles(client: pg.ClientBase): Promise<boolean> {
  const r = await client.query(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = ANY($1)`, [[INGEST_ROLE, ANALYST_ROLE]]);
  if (r.rows[0].n < 2) return false;
  for (const sql of grantStatements()) await client.query(sql);
  return true;
}

export type Need = 'ingest' | 'analyst';

/**
 * Whether the connected user can do what a role needs, checked before anything starts; null if
 * so, else the message: what is missing and the grant that gives it.
 */
export async function missingRights(client: pg.ClientBase, need: Need): Promise<string | null> {
  const checks: [string, string][] = need === 'ingest'
    ? [
      [`has_table_privilege('${BOOK_SCHEMA}.chunks', 'INSERT')`, `INSERT on ${BOOK_SCHEMA}.chunks`],
      [`has_table_privilege('${BOOK_SCHEMA}.files', 'UPDATE')`, `UPDATE on ${BOOK_SCHEMA}.files`],
      [`has_function_privilege('${BOOK_SCHEMA}.ensure_partitions(text[], date[])', 'EXECUTE')`, `EXECUTE on ${BOOK_SCHEMA}.ensure_partitions`],
      ...LOG_TYPES.map((t): [string, string] => [`has_table_privilege('public.${t.table}', 'INSERT')`, `INSERT on public.${t.table}`]),
    ]
    : [
      [`has_table_privilege('${BOOK_SCHEMA}.files', 'SELECT')`, `SELECT on ${BOOK_SCHEMA}.files`],
      ...LOG_TYPES.map((t): [string, string] => [`has_table_privilege('public.${t.table}', 'SELECT')`, `SELECT on public.${t.table}`]),
    ];
  const r = await client.query(`SELECT current_user AS who, ${checks.map(([sql], i) => `${sql} AS c${i}`).join(', ')}`);
  const missing = checks.filter((_, i) => !r.rows[0][`c${i}`]).map(([, what]) => what);
  if (missing.length === 0) return null;
  const role = need === 'ingest' ? INGEST_ROLE : ANALYST_ROLE;
  return `user "${r.rows[0].who}" lacks ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}: ` +
    `as an administrator, run \`logpipe init-db --roles\` and \`GRANT ${role} TO "${r.rows[0].who}"\``;
}
