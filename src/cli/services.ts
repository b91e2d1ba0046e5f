/**
 * Opening what a command needs, in one place: the database (server or embedded) checked and
 * its schema brought up to date (or, for commands that only read, checked and left alone), the
 * queue checked, and a role's metrics endpoint. A service that cannot be used stops the command
 * at once with a message naming it and the setting that chose it.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { ConfigError, originOf } from '../config/load.js';
import { DEFAULT_PROCESSOR_METRICS_PORT, type Config } from '../config/schema.js';
import { connectProblem, ServiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { startMetrics, type MetricsServer } from '../metrics/server.js';
import { chosenBackend, openQueue, sharedChoices } from '../queue/registry.js';
import type { ChunkQueue } from '../queue/types.js';
import { MESSAGE_OVERHEAD } from '../queue/chunk.js';
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
  /** Who needs a queue other processes reach, for the message when none is configured (unset: an in-process queue will do). */
  sharedQueueFor?: string;
  /** Commands that only read: no database, cluster or schema is created, nothing is migrated. */
  readOnly?: boolean;
  /** Commands that never touch the queue (it is not connected to, even if configured). */
  noQueue?: boolean;
}

/** Stops `role` with a message when the configured queue lives inside one process only. */
export function requireSharedQueue(config: Config, role: string): void {
  const b = chosenBackend(config.queue);
  if (b.shared) return;
  const chosen = config.queue.kind ? ` (queue.kind is ${config.queue.kind}, ${originOf(config, 'queue.kind')})` : '';
  throw new ConfigError(
    `${role} needs a queue other processes can reach${chosen}: set ${sharedChoices()}, or queue.url / --queue-url. ` +
      'On one machine, `logpipe run` works with its in-process queue.',
  );
}

async function checkQueue(queue: ChunkQueue, config: Config): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([queue.ping(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), config.connectTimeoutMs)))]);
  } catch (err) {
    const b = chosenBackend(config.queue);
    throw new ServiceError(`cannot use ${b.title} at ${queue.where} (${originOf(config, 'queue.url')}): ${connectProblem(err, config.connectTimeoutMs)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** A chunk message must fit the queue: the reader cuts chunks no larger than it takes. */
function checkMessageSize(queue: ChunkQueue, config: Config): void {
  const limit = queue.maxMessageBytes;
  if (limit === null || config.chunk.maxLineBytes <= limit - MESSAGE_OVERHEAD) return;
  throw new ConfigError(
    `chunk.maxLineBytes (${config.chunk.maxLineBytes}) does not fit in one message of ${queue.where}, which takes at most ${limit} bytes: ` +
      `lower chunk.maxLineBytes to ${limit - MESSAGE_OVERHEAD} or less (or raise the server's limit)`,
  );
}

export async function openServices(config: Config, log: Logger, opts: ServiceOptions): Promise<Services> {
  if (opts.sharedQueueFor) requireSharedQueue(config, opts.sharedQueueFor);
  const db = await openDatabase(config, log, { create: !opts.readOnly });
  const pool = createPool(db.url, opts.poolSize, config.connectTimeoutMs);
  let queue: ChunkQueue | null = null;
  let ports: number[] = [];
  try {
    await checkDatabase(pool, db.embedded ? `embedded, ${config.embedded.dir}` : originOf(config, 'databaseUrl'), config.connectTimeoutMs);
    // Both services answer before anything is written to either.
    // A command that does not use the queue gets an in-process one: nothing is connected to.
    const settings = opts.noQueue ? { ...config.queue, kind: 'memory', url: undefined } : config.queue;
    queue = openQueue(settings, opts.consumer ?? defaultConsumerName(), config.connectTimeoutMs);
    await checkQueue(queue, config);
    checkMessageSize(queue, config);
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
