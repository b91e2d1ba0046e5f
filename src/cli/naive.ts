/** `logpipe naive reader|processor`: the seed's pipeline, kept as the benchmark's yardstick. */
import type { Command } from 'commander';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { chosenBackend } from '../queue/registry.js';
import { createLogger } from '../core/logger.js';
import { runNaiveProcessor, type NaiveProcessorTotals } from '../naive/processor.js';
import { runNaiveReader, type NaiveReaderTotals } from '../naive/reader.js';
import { action, addConfigFlags, configFrom, intArg, type GlobalFlags } from './common.js';
import { onSignals } from './services.js';
import { reportUsage } from '../core/usage.js';

interface NaiveFlags extends GlobalFlags {
  list: string;
  once?: boolean;
  maxLines?: number;
}

/**
 * The naive pipeline is the seed's Redis pipeline: its Redis is the queue's when the queue is
 * Redis, else REDIS_URL (so a benchmark of logpipe over another queue can still run it).
 */
export function naiveRedisUrl(config: Config, env: NodeJS.ProcessEnv, role: string): string {
  if (chosenBackend(config.queue).name === 'redis' && config.queue.url) return config.queue.url;
  if (env.REDIS_URL) return env.REDIS_URL;
  throw new ConfigError(`${role} is the seed's Redis pipeline: set REDIS_URL (or a redis:// queue.url)`);
}

export function registerNaive(program: Command): void {
  const naive = program
    .command('naive')
    .description("the seed's naive pipeline (1 LPUSH per line, 1 INSERT + COMMIT per row, JSONB `logs` table), as the yardstick");

  addConfigFlags(
    naive
      .command('reader')
      .description('LPUSH every non-empty line of LOG_DIR/*.log as JSON to a Redis list, one call per line')
      .option('--list <key>', 'Redis list', 'log_queue')
      .option('--once', 'one pass over LOG_DIR, then exit (the seed polls forever)')
      .option('--max-lines <n>', 'stop after this many lines', intArg('max-lines', 1)),
  ).action(
    action(async (flags: NaiveFlags) => {
      const config = configFrom(flags);
      const redisUrl = naiveRedisUrl(config, process.env, 'the naive reader');
      const log = createLogger(config.logLevel, 'naive-reader', config.logFormat);
      const abort = new AbortController();
      onSignals(log, () => abort.abort());
      const totals: NaiveReaderTotals = { files: 0, pushed: 0, bytes: 0 };
      await runNaiveReader({ redisUrl, logDir: config.logDir, list: flags.list, once: !!flags.once, maxLines: flags.maxLines, signal: abort.signal }, totals);
      reportUsage('naive-reader', { messages: totals.pushed, queueBytes: totals.bytes });
      log.info(totals, 'naive reader done');
    }),
  );

  addConfigFlags(
    naive
      .command('processor')
      .description('BRPOP one message at a time; INSERT and COMMIT one row each into `logs`')
      .option('--list <key>', 'Redis list', 'log_queue'),
  ).action(
    action(async (flags: NaiveFlags) => {
      const config = configFrom(flags);
      const redisUrl = naiveRedisUrl(config, process.env, 'the naive processor');
      if (!config.databaseUrl) throw new ConfigError('the naive processor needs a PostgreSQL server: set DATABASE_URL (or PG_*, or --database-url)');
      const log = createLogger(config.logLevel, 'naive-processor', config.logFormat);
      const abort = new AbortController();
      onSignals(log, () => abort.abort());
      const totals: NaiveProcessorTotals = { inserted: 0, dropped: 0 };
      try {
        await runNaiveProcessor({ redisUrl, databaseUrl: config.databaseUrl, list: flags.list, signal: abort.signal }, totals);
      } finally {
        reportUsage('naive-processor', { rows: totals.inserted, dropped: totals.dropped });
        log.info(totals, 'naive processor stopped');
      }
    }),
  );
}
