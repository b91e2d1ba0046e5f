/**
 * The seed's log generator, reproducible per seed: files logs_0000.log… with the 50/30/20 mix and
 * the timestamps of DESIGN §2 (or the log types asked for, in the proportion of their weights). Streams each file in blocks (constant memory). With `dirty` > 0 a
 * share of lines is replaced by the kinds of damage real logs carry, and the report says what
 * every line should become (a record, a blank, or a quarantined line with which reason), so tests
 * and benchmarks can check the pipeline's counts exactly.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_TYPES, parseLine } from '../logtypes/registry.js';
import type { LogType, RejectionReason } from '../logtypes/types.js';
import { buildPools, type SharedPools } from '../logtypes/samples.js';
import { Rng } from '../core/rng.js';

export const BASE_TIME_MS = Date.UTC(2024, 0, 15);

/** Kinds of damage `--dirty` injects, with the outcome each must have in the pipeline. */
export const DIRTY_KINDS = {
  crlf: 'record', // a valid line ending in \r\n
  blank: 'blank', // empty or whitespace-only
  invalid_utf8: 'invalid_encoding',
  nul_byte: 'invalid_encoding',
  long_line: 'line_too_long', // 200 KB, over the default 64 KiB line limit
  truncated: 'quarantine', // a valid line cut before a required field; reason depends on the cut
  bad_port: 'bad_number',
  bad_ip: 'bad_ip',
  impossible_timestamp: 'bad_timestamp',
  garbage: 'unknown_format',
} as const satisfies Record<string, RejectionReason | 'record' | 'blank' | 'quarantine'>;
export type DirtyKind = keyof typeof DIRTY_KINDS;
const KIND_NAMES = Object.keys(DIRTY_KINDS) as DirtyKind[];
export const LONG_LINE_BYTES = 200_000;

export interface GenerateOptions {
  files: number;
  lines: number;
  out: string;
  seed: number;
  /** Share of lines (0–1) replaced by damaged ones. */
  dirty: number;
  /** Start of the first timestamp (ms since the epoch); default the seed's 2024-01-15T00:00:00Z. */
  start?: number;
  /** Names of the log types to generate, in the proportion of their weights; unset: those sampled by default (the seed's mix). */
  types?: string[];
  /**
   * Spread each file's lines evenly over this many days from `start`, as hosts writing at once
   * (so `--files 10 --lines 1000000 --days 1` is one day at the seed's volume). Unset: the seed's
   * spacing, one second per line, file after file.
   */
  days?: number;
}

export interface GenerateReport {
  files: string[];
  /** Physical lines written (what the reader will count). */
  lines: number;
  bytes: number;
  /** Lines that must become a record, per log type name. */
  records: Record<string, number>;
  blank: number;
  /** Lines that must be quarantined: total, and per reason (every one of them). */
  quarantined: number;
  quarantinedByReason: Partial<Record<RejectionReason, number>>;
  dirtyByKind: Partial<Record<DirtyKind, number>>;
}

/** The log types `names` asks for (every one must exist), or those sampled by default. */
export function sampledTypes(names?: string[]): LogType[] {
  if (!names?.length) return LOG_TYPES.filter((t) => t.sampledByDefault);
  return names.map((n) => {
    const t = LOG_TYPES.find((x) => x.name === n);
    if (!t) throw new Error(`no log type "${n}" (there are: ${LOG_TYPES.map((x) => x.name).join(', ')})`);
    return t;
  });
}

export function fileName(index: number): string {
  return `logs_${String(index).padStart(4, '0')}.log`;
}

const BLOCK_LINES = 4096;

/**
 * `new Date(ms).toISOString()` for ascending stamps, the minute's text made once: formatting
 * every stamp whole made the generator take 3.1 user CPU-s a million lines instead of 1.8.
 */
class IsoStamps {
  private minute = NaN;
  private prefix = '';

  of(ms: number): string {
    const minute = Math.floor(ms / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      const whole = new Date(minute * 60_000).toISOString(); // …THH:MM:00.000Z
      this.prefix = whole.slice(0, whole.length - 7);
    }
    const rest = ms - minute * 60_000;
    const s = Math.floor(rest / 1000);
    const milli = rest - s * 1000;
    return `${this.prefix}${s < 10 ? '0' : ''}${s}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  }
}

export function generate(opts: GenerateOptions): GenerateReport {
  mkdirSync(opts.out, { recursive: true });
  const pools = buildPools(opts.seed);
  const report: GenerateReport = {
    files: [], lines: 0, bytes: 0, records: Object.fromEntries(LOG_TYPES.map((t) => [t.name, 0])),
    blank: 0, quarantined: 0, quarantinedByReason: {}, dirtyByKind: {},
  };
  const types = sampledTypes(opts.types);
  const cumulative: number[] = [];
  let sum = 0;
  for (const t of types) cumulative.push((sum += t.sampleWeight));

  for (let f = 0; f < opts.files; f++) {
    const path = join(opts.out, fileName(f));
    const rng = new Rng(opts.seed * 1_000_003 + f);
    const fd = openSync(path, 'w');
    try {
      let block: (string | Buffer)[] = [];
      let text = '';
      const flush = () => {
        if (text) block.push(text);
        // (two calls: writeSync has separate overloads for strings and buffers)
        for (const part of block) report.bytes += typeof part === "string" ? writeSync(fd, part) : writeSync(fd, part);
        block = [];
        text = '';
      };
      const start = opts.start ?? BASE_TIME_MS;
      const stamps = new IsoStamps();
      // With `days`, line i of every file falls in its own slot of the window, at a random point in it.
      const slot = opts.days ? (opts.days * 86_400_000) / opts.lines : 0;
      for (let i = 0; i < opts.lines; i++) {
        const ms = opts.days
          ? start + Math.floor(i * slot + rng.next() * slot)
          : start + (f * opts.lines + i) * 1000 + rng.int(0, 999);
        const ts = stamps.of(ms);
        const r = rng.next() * sum;
        let t = 0;
        while (r >= cumulative[t] && t < types.length - 1) t++;
        const type = types[t];
        let line = type.generate(rng, ts, pools);
        const last = i === opts.lines - 1;
        // With dirty input the last line of each file has no newline, as after a crash mid-write.
        const eol = last && opts.dirty > 0 ? '' : '\n';
        if (opts.dirty > 0 && rng.next() < opts.dirty) {
          const kind = KIND_NAMES[Math.floor(rng.next() * KIND_NAMES.length)];
          report.dirtyByKind[kind] = (report.dirtyByKind[kind] ?? 0) + 1;
          const damaged = damage(kind, line, ts, rng, pools);
          // A truncation's outcome depends on where it cut: the parser says which.
          const outcome = kind === 'truncated' ? truncatedOutcome(damaged as string) : DIRTY_KINDS[kind];
          if (outcome === 'record') report.records[type.name]++;
          else if (typeof outcome === 'object') report.records[outcome.record]++;
          else if (outcome === 'blank') report.blank++;
          else {
            report.quarantined++;
            report.quarantinedByReason[outcome] = (report.quarantinedByReason[outcome] ?? 0) + 1;
          }
          if (typeof damaged === 'string') {
            text += damaged + (kind === 'crlf' && eol ? '\r\n' : eol);
          } else {
            flush();
            block.push(damaged, eol);
          }
        } else {
          report.records[type.name]++;
          text += line + eol;
        }
        if (i % BLOCK_LINES === BLOCK_LINES - 1) flush();
      }
      flush();
    } finally {
      closeSync(fd);
    }
    report.files.push(path);
    report.lines += opts.lines;
  }
  return report;
}

/** What the pipeline makes of a truncated line (a rejection's reason, or, should the cut leave a whole record, that). */
function truncatedOutcome(line: string): RejectionReason | { record: string } {
  const { typeIndex, result } = parseLine(line.trim());
  return result.ok ? { record: LOG_TYPES[typeIndex].name } : result.reason;
}

/** Where a truncation must cut so that a required field is lost, per log type. */
function cutBefore(line: string): number {
  for (const marker of ['|dst=', ' (', ' from ']) {
    const at = line.indexOf(marker, 20);
    if (at > 0) return at;
  }
  return 25;
}

function damage(kind: DirtyKind, line: string, ts: string, rng: Rng, pools: SharedPools): string | Buffer {
  switch (kind) {
    case 'crlf':
      return line;
    case 'blank':
      return rng.next() < 0.5 ? '' : '  \t ';
    case 'invalid_utf8': {
      const b = Buffer.from(line);
      return Buffer.concat([b.subarray(0, 30), Buffer.from([0xc3, 0x28, 0xff]), b.subarray(30)]);
    }
    case 'nul_byte':
      return line.slice(0, 30) + '\0' + line.slice(30);
    case 'long_line':
      return `${ts} ${'A'.repeat(LONG_LINE_BYTES)}`;
    case 'truncated':
      return line.slice(0, rng.int(21, cutBefore(line)));
    case 'bad_port':
      return `${ts}|action=accept|src=${rng.pick(pools.internalIps)}|dst=${rng.pick(pools.externalIps)}|proto=TCP|src_port=${rng.int(65536, 99999)}|dst_port=443|bytes_sent=100|rule=web_access`;
    case 'bad_ip':
      return `${ts}|action=drop|src=192.168.1.${rng.int(256, 999)}|dst=${rng.pick(pools.externalIps)}|proto=UDP|dst_port=53|rule=default_drop`;
    case 'impossible_timestamp':
      return '2024-02-30' + line.slice(10);
    case 'garbage':
      return `kernel: [${rng.int(1, 99999)}.${rng.int(100, 999)}] usb 1-1: new high-speed USB device number ${rng.int(1, 9)}`;
  }
}
