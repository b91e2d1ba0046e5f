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
import { NoMetrics, prometheusMetrics, type Metrics } from '../metrics/metrics.js';
import { metricsPort, startMetrics, type MetricsServer } from '../metrics/server.js';
import { SecretFileError } from '../core/secret.js';
import { chosenBackend, openQueue, sharedChoices } from '../queue/registry.js';
import type { ChunkQueue } from '../queue/types.js';
import { MESSAGE_OVERHEAD } from '../queue/chunk.js';
import { ConnectionSettingError, pgTarget, type PgTarget } from '../store/connect.js';
import { checkDatabase, createPool, poolWhere, withClient } from '../store/db.js';
import { openDatabase, type Database } from '../store/embedded.js';
import { initDb, schemaVersion, watchedPorts } from '../store/init.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { missingRights } from '../store/roles.js';
import { fileStateCounts } from '../store/status.js';
import { LOG_TYPES } from '../logtypes/registry.js';

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

/** The schema is there, at this release's version, with every log table; else what to run. */
async function checkSchema(c: pg.ClientBase, where: string): Promise<void> {
  const version = await schemaVersion(c);
  if (version === 0) throw new ServiceError(`no logpipe schema in ${where}: run \`logpipe init-db\` first (as the database's administrator)`);
  if (version < SCHEMA_VERSION) throw new ServiceError(`the schema in ${where} is version ${version}, this logpipe needs ${SCHEMA_VERSION}: run \`logpipe init-db\``);
  const r = await c.query<{ t: string }>(`SELECT t FROM unnest($1::text[]) t WHERE to_regclass('public.' || t) IS NULL`, [LOG_TYPES.map((t) => t.table)]);
  if (r.rows.length) throw new ServiceError(`${where} has no ${r.rows.map((x) => x.t).join(', ')}: run \`logpipe init-db\``);
}

/** The configured PostgreSQL server with its TLS and password settings (null: embedded); unusable settings are configuration errors. */
export function databaseTarget(config: Config): PgTarget | null {
  if (!config.databaseUrl) return null;
  try {
    return pgTarget(config.databaseUrl, config.database);
  } catch (err) {
    if (err instanceof ConnectionSettingError) throw new ConfigError(err.message);
    throw err;
  }
}

export async function openServices(config: Config, log: Logger, opts: ServiceOptions): Promise<Services> {
  if (opts.sharedQueueFor) requireSharedQueue(config, opts.sharedQueueFor);
  const target = databaseTarget(config);
  const db = await openDatabase(config, log, { create: !opts.readOnly });
  const pool = createPool(db.embedded ? db.url : target!, opts.poolSize, config.connectTimeoutMs);
  let queue: ChunkQueue | null = null;
  let ports: number[] = [];
  try {
    await checkDatabase(pool, db.embedded ? `embedded, ${config.embedded.dir}` : originOf(config, 'databaseUrl'), config.connectTimeoutMs);
    // Both services answer before anything is written to either.
    // A command that does not use the queue gets an in-process one: nothing is connected to.
    const settings = opts.noQueue ? { ...config.queue, kind: 'memory', url: undefined } : config.queue;
    try {
      queue = openQueue(settings, opts.consumer ?? defaultConsumerName(), config.connectTimeoutMs);
    } catch (err) {
      throw err instanceof SecretFileError ? new ConfigError(err.message) : err;
    }
    await checkQueue(queue, config);
    checkMessageSize(queue, config);
    if (db.embedded && !opts.readOnly) {
      // The embedded cluster is logpipe's own, made for one user: it is initialised as it is used.
      const init = await withClient(pool, initDb);
      if (init.migrated.length) log.info({ migrations: init.migrated }, 'schema migrated');
      if (init.createdTables.length) log.info({ tables: init.createdTables }, 'created log tables');
    } else {
      // A server's schema is the administrator's (init-db): a command finds it, never makes it.
      await withClient(pool, (c) => checkSchema(c, poolWhere(pool)));
      const missing = await withClient(pool, (c) => missingRights(c, opts.readOnly ? 'analyst' : 'ingest'));
      if (missing) throw new ServiceError(`cannot use PostgreSQL at ${poolWhere(pool)}: ${missing}`);
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
  const port = metricsPort(config.metrics.port, role === 'processor' ? DEFAULT_PROCESSOR_METRICS_PORT : null);
  // No endpoint, no prom-client: a short reader run from cron starts without loading it.
  if (port === null) return { metrics: new NoMetrics(), server: null };
  const metrics = await prometheusMetrics();
  metrics.observeQueue(() => s.queue.stats());
  metrics.observeFiles(() => fileStateCounts(s.pool));
  const server = await startMetrics({
    metrics,
    host: config.metrics.host,
    port,
    isDefault: config.metrics.port === undefined,
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
