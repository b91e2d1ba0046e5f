/**
 * `logpipe status`: per-file bookkeeping, inputs not read, queue depth, pending and lag, from
 * PostgreSQL (the shared truth of every reader and processor, wherever they run) and the queue.
 * `--watch` refreshes it every second with rates; `q` or Ctrl-C quits; when stdout is not a
 * terminal each refresh is printed as plain text after the last. Reads only: never creates a
 * database, a cluster or a schema.
 */
import type { Command } from 'commander';
import { createLogger } from '../core/logger.js';
import { LOG_TYPES } from '../logtypes/registry.js';
import { chosenBackend } from '../queue/registry.js';
import { openInputErrors } from '../store/files.js';
import { safeText } from '../store/format.js';
import { fileStatuses, totals, type Totals } from '../store/status.js';
import { action, addConfigFlags, configFrom, intArg, type GlobalFlags } from './common.js';
import { openServices, type Services } from './services.js';

interface Flags extends GlobalFlags {
  json?: boolean;
  watch?: boolean;
  interval: number;
  count?: number;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

async function render(s: Services, shared: boolean, prev: { at: number; t: Totals } | null): Promise<{ text: string; at: number; t: Totals }> {
  const at = Date.now();
  const [files, inputErrors, t, queue] = await Promise.all([
    fileStatuses(s.pool), openInputErrors(s.pool), totals(s.pool), shared ? s.queue.stats() : Promise.resolve(null),
  ]);
  const lines: string[] = [];
  if (prev) {
    const dt = (at - prev.at) / 1000;
    const rate = (a: number, b: number) => `${n((a - b) / dt)}/s`;
    lines.push(`rates: read ${rate(t.linesRead, prev.t.linesRead)} lines, committed ${rate(t.linesCommitted, prev.t.linesCommitted)} lines`);
    lines.push(`records: ${LOG_TYPES.map((lt) => `${lt.name} ${rate(t.records[lt.name] ?? 0, prev.t.records[lt.name] ?? 0)}`).join(', ')}`);
  }
  lines.push(`totals: ${n(t.linesRead)} lines read, ${n(t.linesCommitted)} committed; ${LOG_TYPES.map((lt) => `${lt.name} ${n(t.records[lt.name] ?? 0)}`).join(', ')}`);
  const q = Object.entries(t.quarantine);
  lines.push(`quarantine: ${q.length ? q.map(([r, c]) => `${r} ${n(c)}`).join(', ') : 'none'}`);
  lines.push(queue
    ? `queue: depth ${queue.depth}, pending ${queue.pending}, lag ${queue.lag}${queue.consumers === null ? '' : `, consumers ${queue.consumers}`} (${s.queue.where})`
    : 'queue: in-process (no shared queue configured)');
  lines.push('');
  const head = ['file', 'lines read', 'records', 'quarantined', 'blank', 'chunks pub/commit', 'status', 'adds up'];
  const rows = files.map((f) => [
    safeText(f.path), f.linesRead, f.records, f.quarantined, f.blank, `${f.chunksPublished}/${f.chunksCommitted}`, f.status,
    f.balanced === null ? '-' : f.balanced ? 'yes' : 'NO',
  ].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) lines.push(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  if (inputErrors.length) {
    lines.push('', `inputs not read (${inputErrors.length}):`);
    for (const e of inputErrors) lines.push(`  ${safeText(e.path)}  ${e.code}  ${safeText(e.message)}  (${e.occurrences}× since ${e.firstSeen.toISOString()})`);
  }
  return { text: lines.join('\n') + '\n', at, t };
}

/** Resolves when the user presses q or Ctrl-C (on a terminal), or on SIGINT/SIGTERM. */
function quitSignal(): { promise: Promise<void>; done: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const stdin = process.stdin;
  const onKey = (key: Buffer) => {
    const k = key.toString();
    if (k === 'q' || k === 'Q' || k === '\u0003') resolve();
  };
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onKey);
  }
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
  return {
    promise,
    done: () => {
      if (stdin.isTTY) {
        stdin.off('data', onKey);
        stdin.setRawMode(false);
        stdin.pause();
      }
    },
  };
}

export function registerStatus(program: Command): void {
  addConfigFlags(
    program
      .command('status')
      .description('per-file counts, inputs not read, queue depth, pending and lag (--watch: live, with rates)')
      .option('--json', 'as JSON')
      .option('--watch', 'refresh until q or Ctrl-C')
      .option('--interval <ms>', 'refresh interval with --watch', intArg('interval', 100, 3_600_000), 1000)
      .option('--count <n>', 'with --watch: stop after this many refreshes', intArg('count', 1)),
  ).action(
    action(async (flags: Flags) => {
      const config = configFrom(flags);
      const s = await openServices(config, createLogger(config.logLevel, 'logpipe', config.logFormat), { poolSize: 4, readOnly: true });
      const shared = chosenBackend(config.queue).shared;
      try {
        if (flags.json) {
          const [files, inputErrors, t] = await Promise.all([fileStatuses(s.pool), openInputErrors(s.pool), totals(s.pool)]);
          const queue = shared ? await s.queue.stats() : null;
          process.stdout.write(JSON.stringify({ files, inputErrors, totals: t, queue }, null, 2) + '\n');
          return;
        }
        if (!flags.watch) {
          process.stdout.write((await render(s, shared, null)).text);
          return;
        }
        const tty = process.stdout.isTTY === true;
        const quit = quitSignal();
        let prev: { at: number; t: Totals } | null = null;
        try {
          for (let i = 0; flags.count === undefined || i < flags.count; i++) {
            const r = await render(s, shared, prev);
            prev = r;
            const title = `logpipe status — ${new Date(r.at).toISOString()} (every ${flags.interval} ms${tty ? '; q quits' : ''})\n`;
            // On a terminal: redraw in place. Otherwise: one block per refresh, for logs and pipes.
            process.stdout.write(tty ? `\x1b[H\x1b[2J${title}${r.text}` : `${title}${r.text}\n`);
            if (flags.count !== undefined && i + 1 >= flags.count) break;
            const stop = await Promise.race([quit.promise.then(() => true), new Promise<false>((res) => setTimeout(() => res(false), flags.interval))]);
            if (stop) break;
          }
        } finally {
          quit.done();
        }
      } finally {
        await s.close();
      }
    }),
  );
}
