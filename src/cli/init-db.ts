import type { Command } from 'commander';
import { createLogger } from '../logger.js';
import { createPool, withClient } from '../store/db.js';
import { openDatabase } from '../store/embedded.js';
import { initDb } from '../store/init.js';
import { fullDdl, schemaMarkdown } from '../store/schema.js';
import { action, addConfigFlags, configFrom, type GlobalFlags } from './common.js';

export function registerInitDb(program: Command): void {
  addConfigFlags(program.command('init-db').description('create the schema (idempotent)')).action(
    action(async (flags: GlobalFlags) => {
      const config = configFrom(flags);
      const log = createLogger(config.logLevel);
      const db = await openDatabase(config, log);
      const pool = createPool(db.url, 1);
      try {
        const r = await withClient(pool, initDb);
        process.stdout.write(
          r.createdTables.length ? `created ${r.createdTables.join(', ')}\n` : 'schema up to date, nothing to do\n',
        );
        if (r.bookkeepingReset) process.stdout.write('log tables had been dropped: bookkeeping cleared to match\n');
      } finally {
        await pool.end();
        await db.stop();
      }
    }),
  );
  program
    .command('schema')
    .description('print the schema derived from the log-type registry')
    .option('--markdown', 'as Markdown tables (for docs) instead of SQL')
    .action((flags: { markdown?: boolean }) => {
      process.stdout.write((flags.markdown ? schemaMarkdown() : fullDdl()) + '\n');
    });
}
