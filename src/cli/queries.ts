/** `logpipe queries`: the seed's questions, each timed as `logpipe query` runs it with its defaults; or written as .sql files. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../core/logger.js';
import { DEFAULT_WATCHED_PORTS } from '../logtypes/rollups.js';
import { INVESTIGATIONS, renderQueryFile } from '../store/investigations.js';
import { printAnalystQueries } from '../store/report.js';
import { action, addConfigFlags, configFrom, intArg, type GlobalFlags } from './common.js';
import { openServices } from './services.js';

export function registerQueries(program: Command): void {
  addConfigFlags(
    program
      .command('queries')
      .description("run the seed's analyst questions and print their first rows and timings (or write them as .sql files)")
      .option('--write <dir>', 'write one .sql file per question into DIR instead of running them')
      .option('--rows <n>', 'rows shown per question', intArg('rows', 0, 1_000_000), 5),
  ).action(
    action(async (flags: GlobalFlags & { write?: string; rows: number }) => {
      if (flags.write) {
        mkdirSync(flags.write, { recursive: true });
        for (const q of INVESTIGATIONS) writeFileSync(join(flags.write, q.file), renderQueryFile(q, DEFAULT_WATCHED_PORTS));
        process.stdout.write(`wrote ${INVESTIGATIONS.length} files to ${flags.write}\n`);
        return;
      }
      const config = configFrom(flags);
      // Reads only: no database, cluster or schema is created.
      const s = await openServices(config, createLogger(config.logLevel, 'logpipe', config.logFormat), { poolSize: 1, readOnly: true, noQueue: true });
      try {
        await printAnalystQueries(s.pool, flags.rows, process.stdout, s.watchedPorts);
      } finally {
        await s.close();
      }
    }),
  );
}
