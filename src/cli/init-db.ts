import type { Command } from 'commander';
import { createLogger } from '../logger.js';
import { checkDatabase, createPool, poolWhere, withClient } from '../store/db.js';
import { originOf } from '../config/load.js';
import { openDatabase } from '../store/embedded.js';
import { initDb } from '../store/init.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { fullDdl, schemaMarkdown } from '../store/schema.js';
import { action, addConfigFlags, configFrom, type GlobalFlags } from './common.js';

export function registerInitDb(program: Command): void {
  addConfigFlags(program.command('init-db').description('create the schema, or migrate one made by an earlier release (idempotent)')).action(
    action(async (flags: GlobalFlags) => {
      const config = configFrom(flags);
      const log = createLogger(config.logLevel, 'logpipe', config.logFormat);
      const db = await openDatabase(config, log);
      const pool = createPool(db.url, 1, config.connectTimeoutMs);
      try {
        await checkDatabase(pool, db.embedded ? 'embedded' : originOf(config, 'databaseUrl'), config.connectTimeoutMs);
        const r = await withClient(pool, initDb);
        const out = process.stdout;
        for (const m of r.migrated) out.write(`migrated: ${m}\n`);
        if (r.createdTables.length) out.write(`created ${r.createdTables.join(', ')}\n`);
        if (r.bookkeepingReset) out.write('log tables had been dropped: bookkeeping cleared to match\n');
        if (!r.migrated.length && !r.createdTables.length) out.write(`schema up to date (version ${SCHEMA_VERSION}) in ${poolWhere(pool)}, nothing to do\n`);
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
