/** Connections to PostgreSQL: one pool per process, sized for its role. */
import pg from 'pg';
import { Backoff } from '../backoff.js';

// bigint/int8 (OID 20) and numeric counts come back as JS numbers: every count logpipe reads
// fits in 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export function createPool(url: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'logpipe' });
  // A client losing its server (restart) must not crash the process: idle ones report on the
  // pool, checked-out ones on themselves; either way the failing query is what gets retried.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
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

/**
 * Runs `fn` until it succeeds, retrying transient errors (server restarting, connection lost)
 * with capped exponential backoff and a log line per retry. Other errors are thrown.
 */
export async function retrying<T>(
  what: string,
  fn: () => Promise<T>,
  log: { warn(obj: object, msg: string): void },
  signal?: AbortSignal,
): Promise<T> {
  const backoff = new Backoff();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransientPgError(err) || signal?.aborted) throw err;
      log.warn({ err: (err as Error).message, attempt, retryInMs: backoff.nextMs }, `database unavailable (${what}), retrying`);
      await backoff.wait();
    }
  }
}
