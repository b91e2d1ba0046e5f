/** Opening what a command needs, in one place: database (server or embedded), schema, queue. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { MemoryQueue } from '../queue/memory.js';
import { RedisStreamQueue } from '../queue/redis-stream.js';
import type { ChunkQueue } from '../queue/types.js';
import { createPool, withClient } from '../store/db.js';
import { openDatabase, type Database } from '../store/embedded.js';
import { initDb } from '../store/init.js';

export interface Services {
  db: Database;
  pool: pg.Pool;
  queue: ChunkQueue;
  close(): Promise<void>;
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

export async function openServices(
  config: Config,
  log: Logger,
  opts: { poolSize: number; consumer?: string },
): Promise<Services> {
  const db = await openDatabase(config, log);
  const pool = createPool(db.url, opts.poolSize);
  try {
    const init = await withClient(pool, initDb);
    if (init.createdTables.length) log.info({ tables: init.createdTables }, 'created log tables');
    if (init.bookkeepingReset) log.warn('log tables had been dropped: bookkeeping cleared to match');
  } catch (err) {
    await pool.end();
    await db.stop();
    throw err;
  }
  const queue: ChunkQueue = config.redisUrl
    ? new RedisStreamQueue(config.redisUrl, config.queue, opts.consumer ?? defaultConsumerName())
    : new MemoryQueue(config.queue.maxLength, config.queue.blockMs);
  let closed = false;
  return {
    db, pool, queue,
    async close() {
      if (closed) return;
      closed = true;
      await queue.close();
      await pool.end();
      await db.stop();
    },
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
