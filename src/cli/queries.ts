import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../logger.js';
import { createPool } from '../store/db.js';
import { openDatabase } from '../store/embedded.js';
import { ANALYST_QUERIES, renderQueryFile } from '../store/queries.js';
import { printAnalystQueries } from '../store/report.js';
import { action, addConfigFlags, configFrom, type GlobalFlags } from './common.js';

export function registerQueries(program: Command): void {
  addConfigFlags(
    program
      .command('queries')
      .description("run the six analyst queries and print their first rows (or write them as .sql files)")
      .option('--write <dir>', 'write one .sql file per query into DIR instead of running them')
      .option('--rows <n>', 'rows shown per query', '5'),
  ).action(
    action(async (flags: GlobalFlags & { write?: string; rows: string }) => {
      if (flags.write) {
        mkdirSync(flags.write, { recursive: true });
        for (const q of ANALYST_QUERIES) writeFileSync(join(flags.write, q.file), renderQueryFile(q));
        process.stdout.write(`wrote ${ANALYST_QUERIES.length} files to ${flags.write}\n`);
        return;
      }
      const config = configFrom(flags);
      const db = await openDatabase(config, createLogger(config.logLevel));
      const pool = createPool(db.url, 1);
      try {
        await printAnalystQueries(pool, Number(flags.rows) || 5, process.stdout);
      } finally {
        await pool.end();
        await db.stop();
      }
    }),
  );
}
