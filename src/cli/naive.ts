/** `logpipe naive reader|processor`: the seed's pipeline, kept as the benchmark's yardstick. */
import type { Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { createLogger } from '../logger.js';
import { runNaiveProcessor, type NaiveProcessorTotals } from '../naive/processor.js';
import { runNaiveReader, type NaiveReaderTotals } from '../naive/reader.js';
import { action, addConfigFlags, configFrom, intArg, type GlobalFlags } from './common.js';
import { onSignals, requireRedis } from './services.js';
import { reportUsage } from './usage.js';

interface NaiveFlags extends GlobalFlags {
  list: string;
  once?: boolean;
  maxLines?: number;
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
      const redisUrl = requireRedis(config, 'the naive reader');
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
      const redisUrl = requireRedis(config, 'the naive processor');
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
