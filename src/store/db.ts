/** Connections to PostgreSQL: one pool per process, sized for its role. */
import pg from 'pg';

// bigint/int8 (OID 20) and numeric counts come back as JS numbers: every count logpipe reads
// fits in 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export function createPool(url: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'logpipe' });
  // An idle client losing its server (restart) must not crash the process; the next query retries.
  pool.on('error', () => {});
  return pool;
}

export async function withClient<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}

/** Errors worth retrying: connection lost, server starting or shutting down, serialization. */
export function isTransientPgError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (!e) return false;
  if (e.code && /^(08|57P|53|40001|40P01)/.test(e.code)) return true;
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection terminated|terminating connection|not queryable|Client has encountered a connection error/i.test(
    e.message ?? '',
  );
}
