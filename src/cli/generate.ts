import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { fileName, generate, sampledTypes } from '../generator/generate.js';
import { LOG_TYPES } from '../logtypes/registry.js';
import { ConfigError } from '../config/load.js';
import { action, addConfigFlags, configFrom, intArg, type GlobalFlags } from './common.js';

interface Flags extends GlobalFlags {
  files: number;
  lines: number;
  out?: string;
  seed: number;
  dirty: string;
  start?: string;
  days?: number;
  ifMissing?: boolean;
  json?: boolean;
  types?: string;
}

export function registerGenerate(program: Command): void {
  addConfigFlags(
    program
      .command('generate')
      .description("write sample logs in the seed's formats and mix (reproducible per seed)")
      .option('--files <n>', 'number of files', intArg('files', 1, 100_000), 5)
      .option('--lines <n>', 'lines per file', intArg('lines', 1, 1_000_000_000), 10_000)
      .option('--out <dir>', 'output directory (default: LOG_DIR, ./data/logs)')
      .option('--seed <n>', 'random seed', intArg('seed', 0, 2 ** 31 - 1), 42)
      .option('--dirty <rate>', 'share of lines (0-1) replaced by damaged lines', '0')
      .option('--start <date>', 'first timestamp, ISO 8601 date or time in UTC (default: the seed\'s 2024-01-15)')
      .option('--days <n>', 'spread every file\'s lines over this many days from --start (default: one line per second, as the seed)', intArg('days', 1, 3650))
      .option('--types <names>', `log types to generate, comma-separated, mixed by their weights (default: the seed's firewall,dns,auth; there are: ${LOG_TYPES.map((t) => t.name).join(', ')})`)
      .option('--if-missing', 'do nothing when all the files already exist')
      .option('--json', 'print the report as JSON'),
  ).action(
    action(async (flags: Flags) => {
      const config = configFrom(flags);
      const out = flags.out ?? config.logDir;
      const dirty = Number(flags.dirty);
      if (!(dirty >= 0 && dirty <= 1)) throw new ConfigError(`--dirty must be a number from 0 to 1, got "${flags.dirty}"`);
      if (flags.ifMissing && Array.from({ length: flags.files }, (_, i) => join(out, fileName(i))).every((p) => existsSync(p))) {
        process.stdout.write(`${out}: ${flags.files} files already there\n`);
        return;
      }
      let start: number | undefined;
      if (flags.start !== undefined) {
        start = Date.parse(/^\d{4}-\d\d-\d\d$/.test(flags.start) ? `${flags.start}T00:00:00Z` : flags.start);
        if (Number.isNaN(start)) throw new ConfigError(`--start must be an ISO 8601 date or time such as 2024-01-15 or 2024-01-15T06:00:00Z, got "${flags.start}"`);
      }
      const types = flags.types?.split(',').map((t) => t.trim()).filter(Boolean);
      try {
        sampledTypes(types);
      } catch (err) {
        throw new ConfigError(`--types: ${(err as Error).message}`);
      }
      const started = performance.now();
      const report = generate({ files: flags.files, lines: flags.lines, out, seed: flags.seed, dirty, start, days: flags.days, types });
      const seconds = (performance.now() - started) / 1000;
      if (flags.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      process.stdout.write(
        `wrote ${report.files.length} files, ${report.lines.toLocaleString('en-US')} lines, ` +
          `${(report.bytes / 1e6).toFixed(1)} MB to ${out} in ${seconds.toFixed(2)} s\n` +
          `records expected: ${Object.entries(report.records).map(([k, v]) => `${k} ${v}`).join(', ')}\n`,
      );
      if (dirty > 0) {
        process.stdout.write(
          `damaged lines: ${Object.entries(report.dirtyByKind).map(([k, v]) => `${k} ${v}`).join(', ')}\n` +
            `expected: ${report.quarantined} quarantined, ${report.blank} blank\n`,
        );
      }
    }),
  );
}
