import type { Command } from 'commander';
import { createLogger } from '../logger.js';
import { openInputErrors } from '../store/files.js';
import { fileStatuses } from '../store/status.js';
import { action, addConfigFlags, configFrom, type GlobalFlags } from './common.js';
import { openServices } from './services.js';

export function registerStatus(program: Command): void {
  addConfigFlags(
    program.command('status').description('per-file counts, queue depth, pending and lag').option('--json', 'as JSON'),
  ).action(
    action(async (flags: GlobalFlags & { json?: boolean }) => {
      const config = configFrom(flags);
      const s = await openServices(config, createLogger(config.logLevel), { poolSize: 1 });
      try {
        const files = await fileStatuses(s.pool);
        const inputErrors = await openInputErrors(s.pool);
        const queue = config.redisUrl ? await s.queue.stats() : null;
        if (flags.json) {
          process.stdout.write(JSON.stringify({ files, inputErrors, queue }, null, 2) + '\n');
          return;
        }
        const head = ['file', 'lines read', 'records', 'quarantined', 'blank', 'chunks pub/commit', 'status', 'adds up'];
        const rows = files.map((f) => [
          f.path, f.linesRead, f.records, f.quarantined, f.blank, `${f.chunksPublished}/${f.chunksCommitted}`, f.status,
          f.balanced === null ? '-' : f.balanced ? 'yes' : 'NO',
        ].map(String));
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        for (const r of [head, ...rows]) process.stdout.write(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ') + '\n');
        if (inputErrors.length) {
          process.stdout.write(`\ninputs not read (${inputErrors.length}):\n`);
          for (const e of inputErrors) process.stdout.write(`  ${e.path}  ${e.code}  ${e.message}  (${e.occurrences}× since ${e.firstSeen.toISOString()})\n`);
        }
        process.stdout.write(queue ? `queue: depth ${queue.depth}, pending ${queue.pending}, lag ${queue.lag}\n` : 'queue: in-process (no Redis configured)\n');
      } finally {
        await s.close();
      }
    }),
  );
}
