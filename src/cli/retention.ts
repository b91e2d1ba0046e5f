/**
 * `logpipe retention`: drops the daily partitions older than the window (never a DELETE on a
 * log table), with the ledger and quarantine rows of the same age; rollups stay unless their own
 * window is given. The owner of the schema runs it (it drops tables); processors apply the window
 * init-db recorded once a day (src/processor/retention-timer.ts).
 */
import type { Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { createLogger } from '../core/logger.js';
import { SQLSTATE, sqlState } from '../core/sqlstate.js';
import { ServiceError } from '../core/errors.js';
import { withClient } from '../store/db.js';
import { applyRetention, summarizeRetention } from '../store/retention.js';
import { action, addConfigFlags, configFrom, intArg, plural, type GlobalFlags } from './common.js';
import { openServices } from './services.js';

interface Flags extends GlobalFlags {
  keepDays?: number;
  rollupKeepDays?: number;
  asOf?: string;
  dryRun?: boolean;
}

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

export function registerRetention(program: Command): void {
  addConfigFlags(
    program
      .command('retention')
      .description('drop whole days older than the window: daily partitions, and the ledger and quarantine rows of the same age (the schema owner\'s command)')
      .option('--keep-days <n>', 'days to keep, up to --as-of (default: retention.keepDays)', intArg('keep-days', 1, 36_500))
      .option('--rollup-keep-days <n>', 'also delete rollup rows older than this many days (default: retention.rollupKeepDays; unset: keep them)', intArg('rollup-keep-days', 1, 36_500))
      .option('--as-of <time>', 'the end of the window (ISO 8601; default: now)')
      .option('--dry-run', 'say what would be dropped, drop nothing'),
  ).action(
    action(async (flags: Flags) => {
      const config = configFrom(flags);
      const keepDays = flags.keepDays ?? config.retention.keepDays;
      if (keepDays === undefined) throw new ConfigError('retention needs --keep-days N (or retention.keepDays / LOGPIPE_RETENTION_DAYS)');
      const asOf = flags.asOf === undefined ? new Date() : new Date(/^\d{4}-\d\d-\d\d$/.test(flags.asOf) ? `${flags.asOf}T00:00:00Z` : flags.asOf);
      if (Number.isNaN(asOf.getTime())) throw new ConfigError(`--as-of must be an ISO 8601 date or time, got "${flags.asOf}"`);
      const rollupKeepDays = flags.rollupKeepDays ?? config.retention.rollupKeepDays;
      const log = createLogger(config.logLevel, 'retention', config.logFormat);
      const s = await openServices(config, log, { poolSize: 1, readOnly: true, noQueue: true });
      try {
        const started = performance.now();
        let rows;
        try {
          rows = await withClient(s.pool, (c) => applyRetention(c, keepDays, asOf, Boolean(flags.dryRun), rollupKeepDays));
        } catch (err) {
          if (sqlState(err) === SQLSTATE.INSUFFICIENT_PRIVILEGE) {
            throw new ServiceError(`retention drops tables, which only the owner of the logpipe schema (the administrator who ran init-db) may: ${(err as Error).message}. Processors apply the window init-db records once a day.`);
          }
          throw err;
        }
        const sum = summarizeRetention(rows);
        const cutoff = new Date(Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate() - keepDays)).toISOString().slice(0, 10);
        const out = process.stdout;
        const verb = flags.dryRun ? 'would drop' : 'dropped';
        out.write(`retention: keeping ${plural(keepDays, 'day')} up to ${asOf.toISOString()}, everything before ${cutoff} ${flags.dryRun ? 'would go (dry run)' : 'goes'}\n`);
        for (const t of sum.tables) {
          const days = [...t.days].sort();
          out.write(`  ${t.table}: ${verb} ${plural(days.length, 'day')} (${days[0]}${days.length > 1 ? ` … ${days[days.length - 1]}` : ''}), ${plural(t.rows, 'row')}, ${mb(t.bytes)}\n`);
        }
        if (sum.tables.length === 0) out.write('  no daily partition older than the window\n');
        out.write(`  ledger: ${plural(sum.ledgerRows, 'row')} retired (files resume after them); quarantine: ${plural(sum.quarantineRows, 'row')}; rollups: ${sum.rollupRows ? plural(sum.rollupRows, 'row') : 'kept'}\n`);
        const total = sum.tables.reduce((a, t) => ({ rows: a.rows + t.rows, bytes: a.bytes + t.bytes }), { rows: 0, bytes: 0 });
        out.write(`${flags.dryRun ? 'would free' : 'freed'} ${mb(total.bytes)} (${plural(total.rows, 'row')}) in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
      } finally {
        await s.close();
      }
    }),
  );
}
