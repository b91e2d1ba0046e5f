/**
 * `logpipe query <investigation>`: the analysts' command line, one subcommand per question with
 * named parameters, a time window, and output as a table, CSV or JSON lines. Lists of events
 * come newest first, a page at a time (--limit, default 1,000); --all streams every row through
 * a cursor, never holding them all. Reads only.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import Cursor from 'pg-cursor';
import { ConfigError } from '../config/load.js';
import { isIP } from '../logtypes/fields.js';
import { createLogger } from '../core/logger.js';
import { csvCell, jsonRow, textTable } from '../store/format.js';
import { DEFAULT_PAGE, INVESTIGATIONS, type Investigation, type QueryArgs } from '../store/investigations.js';
import { parseWhen } from '../logtypes/query/windows.js';
import { action, addConfigFlags, configFrom, intArg, type GlobalFlags } from './common.js';
import { openServices } from './services.js';

interface Flags extends GlobalFlags {
  ip?: string;
  domain?: string[];
  iocFile?: string;
  port?: number;
  from?: string;
  to?: string;
  limit?: number;
  all?: boolean;
  top?: number;
  format: 'table' | 'csv' | 'jsonl';
  explain?: boolean;
}

const STREAM_ROWS = 1_000;

/** A domain as the parser stores it: lower-case, no trailing dot. */
const normalDomain = (d: string) => d.trim().toLowerCase().replace(/\.$/, '');

function argsOf(q: Investigation, f: Flags): QueryArgs {
  const domains = [...(f.domain ?? []), ...(f.iocFile ? readFileSync(f.iocFile, 'utf8').split(/\r?\n/).map((l) => l.replace(/#.*/, '')) : [])]
    .map(normalDomain).filter(Boolean);
  if (q.needs.includes('ip') && !f.ip) throw new ConfigError(`${q.command} needs --ip`);
  if (f.ip && !isIP(f.ip)) throw new ConfigError(`--ip must be an IPv4 or IPv6 address, got "${f.ip}"`);
  if (q.needs.includes('domains') && domains.length === 0) throw new ConfigError(`${q.command} needs --domain (repeatable) or --ioc-file`);
  if (q.needs.includes('domain') && domains.length !== 1) {
    const several = INVESTIGATIONS.find((o) => o.needs.includes('domains'));
    throw new ConfigError(`${q.command} takes one --domain${domains.length > 1 && several ? `; for several, ${several.command}` : ''}`);
  }
  let from: Date | null, to: Date | null;
  try {
    from = parseWhen('--from', f.from);
    to = parseWhen('--to', f.to);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (q.needs.includes('from') && !from) throw new ConfigError(`${q.command} needs a window: --from (and --to, default one hour later)`);
  if (q.needs.includes('from') && from && !to) to = new Date(from.getTime() + 3_600_000);
  if (from && to && from >= to) throw new ConfigError(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  return {
    ip: f.ip, domains, port: f.port ?? (q.needs.includes('port') ? 3389 : undefined), window: { from, to },
    limit: f.all ? null : (f.limit ?? DEFAULT_PAGE), top: f.top ?? 20,
  };
}

function formatArg(v: string): Flags['format'] {
  if (v !== 'table' && v !== 'csv' && v !== 'jsonl') throw new InvalidArgumentError('It must be table, csv or jsonl.');
  return v;
}

export function registerQuery(program: Command): void {
  const query = program.command('query').description('the analysts\' investigations, with a time window (logpipe query <investigation> --help)');
  for (const q of INVESTIGATIONS) {
    const cmd = query.command(q.command).description(`${q.id.toUpperCase()}: ${q.title}`);
    if (q.needs.includes('ip')) cmd.option('--ip <address>', 'source IP address');
    if (q.needs.includes('domain')) cmd.option('--domain <domain>', 'domain', (v: string, prev: string[] = []) => [...prev, v]);
    if (q.needs.includes('domains')) {
      cmd.option('--domain <domain...>', 'domain (IOC); repeatable', (v: string, prev: string[] = []) => [...prev, v]);
      cmd.option('--ioc-file <file>', 'domains, one per line (# comments)');
    }
    if (q.needs.includes('port')) cmd.option('--port <port>', 'destination port (default 3389)', intArg('port', 0, 65535));
    cmd
      .option('--from <time>', `window start, inclusive (ISO 8601, UTC)${q.needs.includes('from') ? '; required' : '; default: the beginning'}`)
      .option('--to <time>', `window end, exclusive${q.needs.includes('from') ? ' (default: --from + 1 hour)' : '; default: the end'}`)
      .option('--format <format>', 'table, csv or jsonl', formatArg, 'table')
      .option('--explain', 'print the plan, run with EXPLAIN (ANALYZE, BUFFERS), instead of the rows');
    if (q.list) cmd.option('--limit <n>', 'rows of the page, newest first', intArg('limit', 1, 10_000_000), DEFAULT_PAGE).option('--all', 'every row, streamed');
    else cmd.option('--top <n>', 'rows of the ranking', intArg('top', 1, 1_000_000), 20);
    addConfigFlags(cmd).action(action((flags: Flags) => run(q, flags)));
  }
}

async function run(q: Investigation, flags: Flags): Promise<void> {
  const args = argsOf(q, flags);
  const config = configFrom(flags);
  const s = await openServices(config, createLogger(config.logLevel, 'logpipe', config.logFormat), { poolSize: 1, readOnly: true, noQueue: true });
  const out = process.stdout;
  try {
    const { sql, params } = q.build(args, s.watchedPorts);
    if (flags.explain) {
      const plan = await s.pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
      out.write(`${sql}\n-- ${JSON.stringify(params)}\n\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
      return;
    }
    const started = performance.now();
    const client = await s.pool.connect();
    let n = 0;
    try {
      const cursor = client.query(new Cursor(sql, params));
      let columns: string[] | null = null;
      for (;;) {
        const rows = (await cursor.read(STREAM_ROWS)) as Record<string, unknown>[];
        if (rows.length === 0) break;
        columns ??= Object.keys(rows[0]);
        if (flags.format === 'csv') out.write((n === 0 ? columns.map(csvCell).join(',') + '\n' : '') + rows.map((r) => columns!.map((c) => csvCell(r[c])).join(',')).join('\n') + '\n');
        else if (flags.format === 'jsonl') out.write(rows.map(jsonRow).join('\n') + '\n');
        else out.write(n === 0 ? textTable(columns, rows) : textTable(columns, rows).split('\n').slice(1).join('\n'));
        n += rows.length;
      }
      await cursor.close();
    } finally {
      client.release();
    }
    const ms = performance.now() - started;
    const more = q.list && args.limit !== null && n === args.limit ? `; the first ${n.toLocaleString('en-US')} (newest first): --limit N or --all for more` : '';
    process.stderr.write(`${n.toLocaleString('en-US')} ${n === 1 ? 'row' : 'rows'} in ${ms.toFixed(1)} ms${more}\n`);
  } finally {
    await s.close();
  }
}


