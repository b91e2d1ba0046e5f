import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { EXIT } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { checkDatabase, createPool, poolWhere, withClient } from '../store/db.js';
import { ConfigError, originOf } from '../config/load.js';
import { compactClosedDays, type Compacted } from '../store/maintain.js';
import { openDatabase } from '../store/embedded.js';
import { initDb, watchedPorts } from '../store/init.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { recordWindow } from '../store/retention.js';
import { createRoles } from '../store/roles.js';
import { fullDdl, schemaMarkdown } from '../store/schema.js';
import { action, addConfigFlags, configFrom, intArg, type GlobalFlags } from './common.js';
import { databaseTarget } from './services.js';

/** The administrator's connection: the database (embedded: started, and made if `create`), checked to answer. */
async function adminConnection(config: Config, log: Logger, create: boolean) {
  const target = databaseTarget(config);
  const db = await openDatabase(config, log, { create });
  const pool = createPool(db.embedded ? db.url : target!, 1, config.connectTimeoutMs);
  try {
    await checkDatabase(pool, db.embedded ? 'embedded' : originOf(config, 'databaseUrl'), config.connectTimeoutMs);
  } catch (err) {
    await pool.end();
    await db.stop();
    throw err;
  }
  return { db, pool };
}

/** What `maintain` did to one partition, as one line. */
function maintainLine(c: Compacted, lockTimeout: number): string {
  if (c.outcome === 'busy') return `${c.partition}: busy for ${lockTimeout} s (a query or a late line held it), left for the next run`;
  if (c.outcome === 'gone') return `${c.partition}: dropped while maintain ran (retention), nothing to do`;
  const ordered = c.orderedBy ? `rows ordered by (${c.orderedBy}) (held ${c.heldSeconds.toFixed(1)} s), ` : '';
  return `${c.partition}: ${ordered}indexes ${(c.bytesBefore / 1e6).toFixed(1)} MB → ${(c.bytesAfter / 1e6).toFixed(1)} MB in ${c.seconds.toFixed(1)} s`;
}

export function registerInitDb(program: Command): void {
  addConfigFlags(
    program
      .command('init-db')
      .description("create the schema, or migrate one made by an earlier release; the functions and grants writers and analysts use (idempotent; the administrator's command)")
      .option('--roles', 'also create the group roles logpipe_ingest and logpipe_analyst (needs CREATEROLE)'),
  ).action(
    action(async (flags: GlobalFlags & { roles?: boolean }) => {
      const config = configFrom(flags);
      const { db, pool } = await adminConnection(config, createLogger(config.logLevel, 'logpipe', config.logFormat), true);
      try {
        const out = process.stdout;
        if (flags.roles) {
          const made = await withClient(pool, createRoles);
          out.write(made.length ? `created roles ${made.join(', ')} (NOLOGIN: GRANT them to login users)\n` : 'roles logpipe_ingest and logpipe_analyst exist\n');
        }
        const r = await withClient(pool, (c) => initDb(c, { watchedPorts: config.rollups.watchedPorts }));
        const w = await withClient(pool, (c) => watchedPorts(c, config.rollups.watchedPorts, true));
        await withClient(pool, (c) => recordWindow(c, config.retention.keepDays, config.retention.rollupKeepDays));
        if (config.retention.keepDays !== undefined) out.write(`retention window: ${config.retention.keepDays} days (processors with retention.keepDays set apply it daily)\n`);
        if (r.granted) out.write('granted logpipe_ingest and logpipe_analyst their rights\n');
        if (w.rebuilt) out.write(`watched ports are now ${w.ports.join(', ')}: the port rollups were rebuilt from the firewall table\n`);
        for (const m of r.migrated) out.write(`migrated: ${m}\n`);
        if (r.createdTables.length) out.write(`created ${r.createdTables.join(', ')}\n`);
        if (r.bookkeepingReset) out.write('log tables had been dropped: bookkeeping cleared to match\n');
        if (!r.migrated.length && !r.createdTables.length && !w.rebuilt) out.write(`schema up to date (version ${SCHEMA_VERSION}) in ${poolWhere(pool)}, nothing to do\n`);
      } finally {
        await pool.end();
        await db.stop();
      }
    }),
  );
  addConfigFlags(
    program
      .command('maintain')
      .description("order closed days' rows by their entity and rebuild their indexes compact, and vacuum the rollups (an administrator's daily job)")
      .option('--before <date>', 'compact days before this one (default: yesterday)')
      .option('--no-cluster', "keep closed days' rows in arrival order: only rebuild their indexes, concurrently (no exclusive lock)")
      .option('--lock-timeout <seconds>', 'how long ordering a day waits for it when a query or a late line holds it; then it is left for the next run', intArg('lock-timeout', 1, 3600), 10),
  ).action(
    action(async (flags: GlobalFlags & { before?: string; cluster: boolean; lockTimeout: number }) => {
      if (flags.before !== undefined && !/^\d{4}-\d\d-\d\d$/.test(flags.before)) throw new ConfigError(`--before must be a date such as 2024-01-16, got "${flags.before}"`);
      const config = configFrom(flags);
      const { db, pool } = await adminConnection(config, createLogger(config.logLevel, 'maintain', config.logFormat), false);
      try {
        await withClient(pool, (c) => initDb(c, { watchedPorts: config.rollups.watchedPorts })); // an administrator's job: the schema is brought up to date first
        const started = performance.now();
        const done = await compactClosedDays(pool, {
          before: flags.before, cluster: flags.cluster, lockTimeoutMs: flags.lockTimeout * 1000,
          onEach: (c) => process.stdout.write(maintainLine(c, flags.lockTimeout) + '\n'),
        });
        const compacted = done.filter((c) => c.outcome === 'done');
        const saved = compacted.reduce((a, c) => a + c.bytesBefore - c.bytesAfter, 0);
        const busy = done.filter((c) => c.outcome === 'busy').length;
        process.stdout.write(`compacted ${compacted.length} partition(s), ${(saved / 1e6).toFixed(1)} MB freed, in ${((performance.now() - started) / 1000).toFixed(1)} s${busy ? `; ${busy} busy, left for the next run` : ''}\n`);
        if (busy) process.exitCode = EXIT.PARTLY_DONE;
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
