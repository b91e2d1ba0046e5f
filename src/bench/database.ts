/** The benchmarks' own databases: named, reset, measured. They never touch anyone else's. */
import pg from 'pg';

/** The server URL with another database. */
export function dbUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = '/' + name;
  return u.toString();
}

/** Runs one statement on the server's administrative connection (CREATE/DROP DATABASE). */
export async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export async function resetDatabase(adminUrl: string, name: string): Promise<void> {
  await dropDatabase(adminUrl, name);
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
}

/** Schemas holding logpipe's tables, indexes and bookkeeping. */
export const LOGPIPE_SCHEMAS = ['public', 'logpipe', 'logpipe_partitions'];

/** Bytes of every table, index and TOAST in `schemas`. */
export async function onDiskBytes(client: pg.ClientBase, schemas: string[]): Promise<number> {
  const r = await client.query(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm') AND n.nspname = ANY($1)`,
    [schemas],
  );
  return Number(r.rows[0].b);
}
