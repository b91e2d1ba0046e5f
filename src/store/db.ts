/** Connections to PostgreSQL: one pool per process, sized for its role, with a connect timeout so nothing hangs. */
import pg from 'pg';
import { Backoff } from '../core/backoff.js';
import { isTransientPgError, SQLSTATE } from '../core/sqlstate.js';
import { clientConfig, pgTarget, type PgTarget } from './connect.js';
import { connectProblem, ServiceError } from '../core/errors.js';

// bigint/int8 (OID 20) and numeric counts come back as JS numbers: every count logpipe reads
// fits in 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

const WHERE = new WeakMap<pg.Pool, string>();

/** A pool on a target (a URL alone: its own TLS parameters, if any). */
export function createPool(target: string | PgTarget, max = 4, connectTimeoutMs = 10_000): pg.Pool {
  const t = typeof target === 'string' ? pgTarget(target) : target;
  const pool = new pg.Pool({ ...clientConfig(t), max, application_name: 'logpipe', connectionTimeoutMillis: connectTimeoutMs });
  WHERE.set(pool, where(t.url) + (t.sslmode === 'disable' ? '' : ` (TLS, ${t.sslmode})`));
  // A client losing its server (restart) must not crash the process: idle ones report on the
  // pool, checked-out ones on themselves; either way the failing query is what gets retried.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** `host:port/database` of a PostgreSQL URL: what logs and messages name (never the password). */
export function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** Where a pool connects, for log lines. */
export function poolWhere(pool: pg.Pool): string {
  return WHERE.get(pool) ?? '(unknown)';
}

/**
 * Connects once and runs SELECT 1; a failure becomes a message naming the server, the setting
 * that chose it and what went wrong (refused, unknown host, wrong password, no such database).
 */
export async function checkDatabase(pool: pg.Pool, setting: string, timeoutMs: number): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const why =
      e.code === SQLSTATE.INVALID_PASSWORD || e.code === SQLSTATE.INVALID_AUTHORIZATION ? `authentication failed (${e.message})`
      : e.code === SQLSTATE.INVALID_CATALOG_NAME ? `${e.message} (create it, or name another in the URL)`
      : e.code === SQLSTATE.CANNOT_CONNECT_NOW ? 'the server is starting up or shutting down'
      : connectProblem(err, timeoutMs);
    throw new ServiceError(`cannot use PostgreSQL at ${poolWhere(pool)} (${setting}): ${why}`);
  }
}

export async function withClient<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}

/**
 * Runs `fn` until it succeeds, retrying transient errors (server restarting, connection lost)
 * with capped exponential backoff and a log line per retry naming the server. Other errors are thrown.
 */
export async function retrying<T>(
  what: string,
  fn: () => Promise<T>,
  log: { warn(obj: object, msg: string): void },
  signal?: AbortSignal,
  pool?: pg.Pool,
  onRetry?: () => void,
): Promise<T> {
  const backoff = new Backoff();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransientPgError(err) || signal?.aborted) throw err;
      onRetry?.();
      log.warn(
        { err: (err as Error).message, attempt, retryInMs: backoff.nextMs, ...(pool ? { postgres: poolWhere(pool) } : {}) },
        `database unavailable (${what}), retrying`,
      );
      await backoff.wait(signal);
    }
  }
}
