/**
 * Opening what a command needs, in one place: the database (server or embedded) checked and
 * its schema brought up to date (or, for commands that only read, checked and left alone), the
 * queue checked, and a role's metrics endpoint. A service that cannot be used stops the command
 * at once with a message naming it and the setting that chose it.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { ConfigError, originOf, redactUrl } from '../config/load.js';
import { DEFAULT_PROCESSOR_METRICS_PORT, type Config } from '../config/schema.js';
import { connectProblem, ServiceError } from '../core/errors.js';
import type { Logger } from '../logger.js';
import { Metrics } from '../metrics/metrics.js';
import { startMetrics, type MetricsServer } from '../metrics/server.js';
import { MemoryQueue } from '../queue/memory.js';
import { RedisStreamQueue } from '../queue/redis-stream.js';
import type { ChunkQueue } from '../queue/types.js';
import { checkDatabase, createPool, poolWhere, withClient } from '../store/db.js';
import { openDatabase, type Database } from '../store/embedded.js';
import { initDb, schemaVersion, watchedPorts } from '../store/init.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { fileStateCounts } from '../store/status.js';

export interface Services {
  db: Database;
  pool: pg.Pool;
  queue: ChunkQueue;
  /** The database's rollups.watchedPorts: what every processor counts into the port rollups. */
  watchedPorts: number[];
  close(): Promise<void>;
}

export interface ServiceOptions {
  poolSize: number;
  consumer?: string;
  /** Who needs the queue, for the message when Redis is not configured (null: an in-process queue will do). */
  requireRedisFor?: string | null;
  /** Commands that only read: no database, cluster or schema is created, nothing is migrated. */
  readOnly?: boolean;
  /** Commands that never touch the queue (it is not connected to, even if configured). */
  noQueue?: boolean;
}

export function requireRedis(config: Config, role: string): string {
  if (!config.redisUrl) {
    throw new ConfigError(
      `${role} needs Redis: set REDIS_URL (or REDIS_HOST/REDIS_PORT, or --redis-url). ` +
        'On one machine without Redis, `logpipe run` uses an in-process queue.',
    );
  }
  return config.redisUrl;
}

async function checkQueue(queue: ChunkQueue, config: Config): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([queue.ping(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), config.connectTimeoutMs)))]);
  } catch (err) {
    throw new ServiceError(`cannot use Redis at ${redactUrl(config.redisUrl)} (${originOf(config, 'redisUrl')}): ${connectProblem(err, config.connectTimeoutMs)}`);
  } finally {
    clearTimeout(timer);
  }
}

export async function openServices(config: Config, log: Logger, opts: ServiceOptions): Promise<Services> {
  if (opts.requireRedisFor) requireRedis(config, opts.requireRedisFor);
  const db = await openDatabase(config, log, { create: !opts.readOnly });
  const pool = createPool(db.url, opts.poolSize, config.connectTimeoutMs);
  let queue: ChunkQueue | null = null;
  let ports: number[] = [];
  try {
    await checkDatabase(pool, db.embedded ? `embedded, ${config.embedded.dir}` : originOf(config, 'databaseUrl'), config.connectTimeoutMs);
    // Both services answer before anything is written to either.
    if (config.redisUrl && !opts.noQueue) {
      queue = new RedisStreamQueue(config.redisUrl, config.queue, opts.consumer ?? defaultConsumerName(), config.connectTimeoutMs);
      await checkQueue(queue, config);
    } else {
      queue = new MemoryQueue(config.queue.maxLength, config.queue.blockMs);
    }
    if (opts.readOnly) {
      const version = await withClient(pool, schemaVersion);
      if (version === 0) throw new ServiceError(`no logpipe schema in ${poolWhere(pool)}: run \`logpipe init-db\` (or a \`logpipe run\`) first`);
      if (version < SCHEMA_VERSION) throw new ServiceError(`the schema in ${poolWhere(pool)} is version ${version}, this logpipe needs ${SCHEMA_VERSION}: run \`logpipe init-db\``);
    } else {
      const init = await withClient(pool, initDb);
      if (init.migrated.length) log.info({ migrations: init.migrated }, 'schema migrated');
      if (init.createdTables.length) log.info({ tables: init.createdTables }, 'created log tables');
      if (init.bookkeepingReset) log.warn('log tables had been dropped: bookkeeping cleared to match');
    }
    const w = await withClient(pool, (c) => watchedPorts(c, config.rollups.watchedPorts, false));
    ports = w.ports;
    if (w.differs) {
      log.warn({ database: w.ports, configured: config.rollups.watchedPorts }, 'rollups.watchedPorts differs from the database\'s: using the database\'s (run `logpipe init-db` to change it and rebuild the port rollups)');
    }
  } catch (err) {
    await queue?.close();
    await pool.end();
    await db.stop();
    throw err;
  }
  const q = queue;
  let closed = false;
  return {
    db, pool, queue: q, watchedPorts: ports,
    async close() {
      if (closed) return;
      closed = true;
      await q.close();
      await pool.end();
      await db.stop();
    },
  };
}

/**
 * The metrics of a long-running role and, if configured (by default for a processor), their
 * endpoint: /metrics, /healthz, and /readyz checking PostgreSQL and the queue.
 */
export async function roleMetrics(config: Config, s: Services, role: 'reader' | 'processor' | 'run'): Promise<{ metrics: Metrics; server: MetricsServer | null }> {
  const metrics = new Metrics();
  metrics.observeQueue(() => s.queue.stats());
  metrics.observeFiles(() => fileStateCounts(s.pool));
  const server = await startMetrics({
    metrics,
    host: config.metrics.host,
    port: config.metrics.port,
    defaultPort: role === 'processor' ? DEFAULT_PROCESSOR_METRICS_PORT : null,
    checks: [['postgres', () => s.pool.query('SELECT 1')], ['queue', () => s.queue.ping()]],
  });
  return { metrics, server };
}

/** What a role logs when it is ready: what it connected to (no passwords) and where its metrics are. */
export function readyFields(config: Config, s: Services, server: MetricsServer | null): Record<string, unknown> {
  return {
    postgres: s.db.embedded ? `${poolWhere(s.pool)} (embedded)` : poolWhere(s.pool),
    queue: s.queue.where,
    metrics: server ? `http://${config.metrics.host}:${server.port}/metrics` : 'off',
  };
}

function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** SIGINT/SIGTERM call `onStop` once; a second signal exits at once. */
export function onSignals(log: Logger, onStop: () => void): void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    if (++count > 1) process.exit(130);
    log.info({ signal }, 'stopping after the batch in hand');
    onStop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
