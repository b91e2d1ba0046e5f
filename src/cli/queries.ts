import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../logger.js';
import { ANALYST_QUERIES, renderQueryFile } from '../store/queries.js';
import { printAnalystQueries } from '../store/report.js';
import { action, addConfigFlags, configFrom, intArg, type GlobalFlags } from './common.js';
import { openServices } from './services.js';

export function registerQueries(program: Command): void {
  addConfigFlags(
    program
      .command('queries')
      .description("run the six analyst queries and print their first rows (or write them as .sql files)")
      .option('--write <dir>', 'write one .sql file per query into DIR instead of running them')
      .option('--rows <n>', 'rows shown per query', intArg('rows', 0, 1_000_000), 5),
  ).action(
    action(async (flags: GlobalFlags & { write?: string; rows: number }) => {
      if (flags.write) {
        mkdirSync(flags.write, { recursive: true });
        for (const q of ANALYST_QUERIES) writeFileSync(join(flags.write, q.file), renderQueryFile(q));
        process.stdout.write(`wrote ${ANALYST_QUERIES.length} files to ${flags.write}\n`);
        return;
      }
      const config = configFrom(flags);
      // Reads only: no database, cluster or schema is created.
      const s = await openServices(config, createLogger(config.logLevel, 'logpipe', config.logFormat), { poolSize: 1, readOnly: true, noQueue: true });
      try {
        await printAnalystQueries(s.pool, flags.rows, process.stdout);
      } finally {
        await s.close();
      }
    }),
  );
}
