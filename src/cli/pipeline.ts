/** `reader`, `processor` and `run`: the pipeline's roles, alone or together. */
import type { Command } from 'commander';
import { DEFAULT_INCLUDE } from '../config/schema.js';
import { createLogger } from '../logger.js';
import { ParsePool } from '../processor/parse-pool.js';
import { Processor } from '../processor/processor.js';
import { Reader } from '../reader/reader.js';
import { printAnalystQueries, printCounts } from '../store/report.js';
import { fileStatuses } from '../store/status.js';
import { action, addConfigFlags, configFrom, intArg, type GlobalFlags } from './common.js';
import { onSignals, openServices, requireRedis } from './services.js';
import { reportUsage } from './usage.js';

/** Exit code of a run that committed everything it could read but could not read some inputs. */
export const EXIT_SOME_INPUTS_FAILED = 3;

/** Some inputs could not be read: the rest was committed; the exit code says so. */
function failedInputs(reader: Reader): void {
  if (reader.failed.length === 0) return;
  for (const f of reader.failed) process.stderr.write(`logpipe: not read: ${f.path}: ${f.code} (${f.message})\n`);
  process.stderr.write(`logpipe: ${reader.failed.length} input(s) could not be read; everything else was committed (see logpipe status)\n`);
  process.exitCode = EXIT_SOME_INPUTS_FAILED;
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

export function registerPipeline(program: Command): void {
  addConfigFlags(
    program
      .command('reader')
      .description('read log files into the Redis stream (resumes from the ledger; waits until all is committed)')
      .argument('[paths...]', 'files, directories or globs to read instead of LOG_DIR')
      .option('--follow', 'keep reading growing files and new ones until stopped')
      .option('--include <glob...>', `file names to read (default: ${DEFAULT_INCLUDE.join(' ')})`)
      .option('--exclude <glob...>', 'file or directory names to leave out'),
  ).action(
    action(async (paths: string[], flags: PipelineFlags) => {
      const config = settings(flags);
      requireRedis(config, 'the reader');
      const log = createLogger(config.logLevel, 'reader');
      const s = await openServices(config, log, { poolSize: 2 });
      const reader = new Reader(s.pool, s.queue, config, log, { paths });
      onSignals(log, () => reader.stop());
      try {
        await reader.run();
        log.info({ published: reader.published, republished: reader.republished }, reader.stopped ? 'reader stopped' : 'all lines committed');
        failedInputs(reader);
      } finally {
        reportUsage('reader', { messages: reader.published, queueBytes: reader.publishedBytes });
        await s.close();
      }
    }),
  );

  addConfigFlags(
    program
      .command('processor')
      .description('consume chunks from the Redis stream and commit them (run as many as you like)')
      .option('--batch-chunks <n>', 'chunks per transaction', intArg('batch-chunks', 1, 1000))
      .option('--concurrency <n>', 'batches in flight, each with its own connection', intArg('concurrency', 1, 64))
      .option('--consumer <name>', 'consumer name in the group (default: host-pid-random)'),
  ).action(
    action(async (flags: PipelineFlags) => {
      const config = settings(flags);
      requireRedis(config, 'the processor');
      const log = createLogger(config.logLevel, 'processor');
      const s = await openServices(config, log, { poolSize: config.processor.concurrency + 1, consumer: flags.consumer });
      const parser = new ParsePool(config.processor.parseThreads, log);
      const processor = new Processor(s.pool, s.queue, parser, config, log);
      onSignals(log, () => processor.stop());
      const stats = setInterval(() => log.info(processor.totals, 'progress'), 10_000).unref();
      try {
        await processor.run();
        log.info(processor.totals, 'processor stopped');
      } finally {
        const t = processor.totals;
        reportUsage('processor', { rows: t.records, quarantined: t.quarantined, chunks: t.chunks });
        clearInterval(stats);
        await parser.close();
        await s.close();
      }
    }),
  );

  addConfigFlags(
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
  ).action(
    action(async (paths: string[], flags: PipelineFlags) => {
      const config = settings(flags);
      const log = createLogger(config.logLevel, 'run');
      const s = await openServices(config, log, { poolSize: config.processor.concurrency + 2 });
      const reader = new Reader(s.pool, s.queue, config, log, { paths });
      const parser = new ParsePool(config.processor.parseThreads, log);
      const processor = new Processor(s.pool, s.queue, parser, config, log);
      onSignals(log, () => {
        reader.stop();
        processor.stop();
      });
      const started = performance.now();
      try {
        const processing = processor.run();
        processing.catch(() => reader.stop()); // a failed processor must not leave the reader waiting for commits
        await reader.run();
        processor.stop();
        const { records, quarantined } = await processing;
        reportUsage('run', { rows: records, messages: reader.published, queueBytes: reader.publishedBytes });
        const seconds = (performance.now() - started) / 1000;
        const out = process.stdout;
        out.write(`\nlogpipe run: ${records.toLocaleString('en-US')} records, ${quarantined.toLocaleString('en-US')} quarantined ` +
          `in ${seconds.toFixed(1)} s (${Math.round(records / seconds).toLocaleString('en-US')} records/s)` +
          ` — queue: ${s.queue.kind}, database: ${s.db.embedded ? 'embedded' : 'server'}\n`);
        if (flags.summary !== false && !reader.stopped) {
          const files = await fileStatuses(s.pool);
          const unbalanced = files.filter((f) => f.balanced === false);
          out.write(`files: ${files.length}, done: ${files.filter((f) => f.status === 'done').length}, ` +
            `counts add up: ${unbalanced.length === 0 ? 'yes' : `NO (${unbalanced.map((f) => f.path).join(', ')})`}\n\nrows per table:\n`);
          await printCounts(s.pool, out);
          await printAnalystQueries(s.pool, 3, out);
        }
        failedInputs(reader);
      } finally {
        await parser.close();
        await s.close();
      }
    }),
  );
}
