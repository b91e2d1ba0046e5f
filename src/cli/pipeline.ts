/** `reader`, `processor` and `run`: the pipeline's roles, alone or together. */
import type { Command } from 'commander';
import { DEFAULT_INCLUDE, type Config } from '../config/schema.js';
import { EXIT } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { configureParsing, type ParseSettings } from '../processor/parse-chunk.js';
import { ParsePool } from '../processor/parse-pool.js';
import { copyColumnTypes } from '../store/copy-plan.js';
import { withClient } from '../store/db.js';
import { Processor } from '../processor/processor.js';
import { startDailyRetention } from '../processor/retention-timer.js';
import { Reader } from '../reader/reader.js';
import { safeText } from '../store/format.js';
import { printAnalystQueries, printCounts } from '../store/report.js';
import { fileStatuses } from '../store/status.js';
import type { MetricsServer } from '../metrics/server.js';
import { action, addConfigFlags, addMetricsFlag, configFrom, intArg, plural, type GlobalFlags } from './common.js';
import { onSignals, openServices, readyFields, roleMetrics, type Services } from './services.js';
import { reportUsage } from '../core/usage.js';

/** Some inputs could not be read: the rest was committed; the exit code says so. */
function failedInputs(reader: Reader): void {
  if (reader.failed.length === 0) return;
  for (const f of reader.failed) process.stderr.write(`logpipe: not read: ${safeText(f.path)}: ${f.code} (${safeText(f.message)})\n`);
  process.stderr.write(`logpipe: ${reader.failed.length} input(s) could not be read; everything else was committed (see logpipe status)\n`);
  process.exitCode = EXIT.PARTLY_DONE;
}

interface PipelineFlags extends GlobalFlags {
  follow?: boolean;
  include?: string[];
  exclude?: string[];
  batchChunks?: number;
  concurrency?: number;
  consumer?: string;
  summary?: boolean;
}

function settings(flags: PipelineFlags) {
  return configFrom(flags, {
    'reader.follow': flags.follow,
    'input.include': flags.include,
    'input.exclude': flags.exclude,
    'processor.batchChunks': flags.batchChunks,
    'processor.concurrency': flags.concurrency,
  });
}

/**
 * The parse threads, and this thread, set to the database's watched ports, the COPY format and
 * how each table's rows can be encoded (read here, by the roles that COPY, from the columns as
 * the database has them). On failure the services are closed.
 */
async function parserFor(config: Config, s: Services, log: Logger): Promise<ParsePool> {
  try {
    const plan = await withClient(s.pool, copyColumnTypes);
    if (plan.textTables.length && config.processor.copyFormat === 'binary') {
      log.warn({ tables: plan.textTables }, 'columns of other types than this release declares (an older schema): these tables\' rows go as COPY text');
    }
    const settings: ParseSettings = { watchedPorts: s.watchedPorts, copyFormat: config.processor.copyFormat, copyTypes: plan.types };
    configureParsing(settings);
    return new ParsePool(config.processor.parseThreads, log, undefined, settings, config.processor.parseYoungGenerationMb);
  } catch (err) {
    await s.close();
    throw err;
  }
}

export function registerPipeline(program: Command): void {
  addMetricsFlag(addConfigFlags(
    program
      .command('reader')
      .description('read log files into the queue (resumes from the ledger; waits until all is committed)')
      .argument('[paths...]', 'files, directories or globs to read instead of LOG_DIR')
      .option('--follow', 'keep reading growing files and new ones until stopped')
      .option('--include <glob...>', `file names to read (default: ${DEFAULT_INCLUDE.join(' ')})`)
      .option('--exclude <glob...>', 'file or directory names to leave out'),
  )).action(
    action(async (paths: string[], flags: PipelineFlags) => {
      const config = settings(flags);
      const log = createLogger(config.logLevel, 'reader', config.logFormat);
      const s = await openServices(config, log, { poolSize: 2, sharedQueueFor: 'the reader' });
      let server: MetricsServer | null = null;
      const started = performance.now();
      try {
        const m = await roleMetrics(config, s, 'reader');
        server = m.server;
        const reader = new Reader(s.pool, s.queue, config, log, { paths }, m.metrics);
        onSignals(log, () => reader.stop());
        log.info({ ...readyFields(config, s, server), inputs: reader.selection().roots, follow: config.reader.follow }, 'reader ready');
        try {
          await reader.run();
        } finally {
          reportUsage('reader', { messages: reader.published, queueBytes: reader.publishedBytes });
          log.info(
            { published: reader.published, republished: reader.republished, inputsFailed: reader.failed.length, seconds: elapsed(started) },
            reader.stopped ? 'reader stopped' : 'reader done: every line read is committed',
          );
        }
        failedInputs(reader);
      } finally {
        await server?.close();
        await s.close();
      }
    }),
  );

  addMetricsFlag(addConfigFlags(
    program
      .command('processor')
      .description('consume chunks from the queue and commit them (run as many as you like)')
      .option('--batch-chunks <n>', 'chunks per transaction', intArg('batch-chunks', 1, 1000))
      .option('--concurrency <n>', 'batches in flight, each with its own connection', intArg('concurrency', 1, 64))
      .option('--consumer <name>', 'consumer name in the group (default: host-pid-random)'),
  )).action(
    action(async (flags: PipelineFlags) => {
      const config = settings(flags);
      const log = createLogger(config.logLevel, 'processor', config.logFormat);
      const s = await openServices(config, log, { poolSize: config.processor.concurrency + 1, consumer: flags.consumer, sharedQueueFor: 'the processor' });
      let server: MetricsServer | null = null;
      const parser = await parserFor(config, s, log);
      const started = performance.now();
      try {
        const m = await roleMetrics(config, s, 'processor');
        server = m.server;
        const processor = new Processor(s.pool, s.queue, parser, config, log, m.metrics);
        onSignals(log, () => processor.stop());
        log.info({ ...readyFields(config, s, server), parseThreads: config.processor.parseThreads, concurrency: config.processor.concurrency }, 'processor ready');
        const stats = setInterval(() => log.info(processor.totals, 'progress'), 10_000).unref();
        const stopRetention = startDailyRetention(s.pool, config, log);
        try {
          await processor.run();
        } finally {
          clearInterval(stats);
          stopRetention();
          const t = processor.totals;
          reportUsage('processor', { rows: t.records, quarantined: t.quarantined, chunks: t.chunks });
          log.info({ ...t, seconds: elapsed(started) }, 'processor stopped');
        }
      } finally {
        await parser.close();
        await server?.close();
        await s.close();
      }
    }),
  );

  addMetricsFlag(addConfigFlags(
    program
      .command('run')
      .description('reader and processors in one process; embedded PostgreSQL / in-process queue when none is configured')
      .argument('[paths...]', 'files, directories or globs to read instead of LOG_DIR')
      .option('--follow', 'keep reading growing files and new ones until stopped')
      .option('--include <glob...>', `file names to read (default: ${DEFAULT_INCLUDE.join(' ')})`)
      .option('--exclude <glob...>', 'file or directory names to leave out')
      .option('--batch-chunks <n>', 'chunks per transaction', intArg('batch-chunks', 1, 1000))
      .option('--concurrency <n>', 'batches in flight, each with its own connection', intArg('concurrency', 1, 64))
      .option('--no-summary', 'do not print counts and analyst queries at the end'),
  )).action(
    action(async (paths: string[], flags: PipelineFlags) => {
      const config = settings(flags);
      const log = createLogger(config.logLevel, 'run', config.logFormat);
      const s = await openServices(config, log, { poolSize: config.processor.concurrency + 2 });
      const parser = await parserFor(config, s, log);
      let server: MetricsServer | null = null;
      const started = performance.now();
      try {
        const m = await roleMetrics(config, s, 'run');
        server = m.server;
        const reader = new Reader(s.pool, s.queue, config, log, { paths }, m.metrics);
        const processor = new Processor(s.pool, s.queue, parser, config, log, m.metrics);
        onSignals(log, () => {
          reader.stop();
          processor.stop();
        });
        log.info({ ...readyFields(config, s, server), inputs: reader.selection().roots, follow: config.reader.follow }, 'run ready');
        const processing = processor.run();
        processing.catch(() => reader.stop()); // a failed processor must not leave the reader waiting for commits
        try {
          await reader.run();
        } finally {
          processor.stop();
        }
        const { records, quarantined } = await processing;
        reportUsage('run', { rows: records, messages: reader.published, queueBytes: reader.publishedBytes });
        const seconds = elapsed(started);
        log.info({ ...processor.totals, published: reader.published, inputsFailed: reader.failed.length, seconds }, reader.stopped ? 'run stopped' : 'run done');
        const out = process.stdout;
        out.write(`\nlogpipe run: ${plural(records, 'record')}, ${quarantined.toLocaleString('en-US')} quarantined ` +
          `in ${seconds.toFixed(1)} s (${Math.round(records / seconds).toLocaleString('en-US')} records/s)` +
          ` — queue: ${s.queue.backend}, database: ${s.db.embedded ? 'embedded' : 'server'}\n`);
        if (flags.summary !== false && !reader.stopped) {
          const files = await fileStatuses(s.pool);
          const unbalanced = files.filter((f) => f.balanced === false);
          out.write(`files: ${files.length}, done: ${files.filter((f) => f.status === 'done').length}, ` +
            `counts add up: ${unbalanced.length === 0 ? 'yes' : `NO (${unbalanced.map((f) => safeText(f.path)).join(', ')})`}\n\nrows per table:\n`);
          await printCounts(s.pool, out);
          await printAnalystQueries(s.pool, 3, out, s.watchedPorts);
        }
        failedInputs(reader);
      } finally {
        await parser.close();
        await server?.close();
        await s.close();
      }
    }),
  );
}

const elapsed = (since: number) => Number(((performance.now() - since) / 1000).toFixed(2));
