/**
 * Turns one chunk into COPY rows per log table, quarantine rows and counts. Pure CPU, no I/O,
 * never throws on bad input: every line becomes a record, a blank or a quarantined line.
 */
import { isUtf8 } from 'node:buffer';
import type { ParseContext } from '../logtypes/envelope/types.js';
import { LOG_TYPES, parseLine } from '../logtypes/registry.js';
import { TimeZone } from '../logtypes/time.js';
import { reject, type PgType, type Rejected } from '../logtypes/types.js';
import { coversLine, rangeKey, type FileRange } from '../core/range.js';
import { BadChunk, type Chunk } from '../queue/chunk.js';
import { BinaryRows, OutOfRange } from '../store/copy-binary.js';
import type { CopyFormat } from '../store/copy-buffer.js';
import { DECLARED_COPY_TYPES, type CopyColumnTypes } from '../store/copy-plan.js';
import { encodeBytea, encodeValue, escapeCopyText } from '../store/copy-text.js';
import { DEFAULT_WATCHED_PORTS } from '../logtypes/rollups.js';
import { dayOf } from '../store/partitions.js';
import { emptyRows, packTypeKey, type ChunkRows } from '../store/rows.js';
import { RollupCounter, rollupPlans, type RollupPlans } from './rollup-counts.js';

const HOUR_MS = 3_600_000;
const COLUMN_TYPES: PgType[][] = LOG_TYPES.map((t) => t.columns.map((c) => c.type));
/** Line numbers beyond this do not fit the log tables' integer line_no (the quarantine's is a bigint). */
const MAX_LINE_NO = 2_147_483_647;

/** What parsing needs from the configuration and the database, the same in every thread of a processor. */
export interface ParseSettings {
  /** The watched ports of the database this process writes to (rollups.watchedPorts, as recorded there). */
  watchedPorts: readonly number[];
  /** The COPY format rows are encoded in (processor.copyFormat). */
  copyFormat: CopyFormat;
  /** With binary: per log type, its columns' types as the database has them, or null for text (src/store/copy-plan.ts). */
  copyTypes: CopyColumnTypes;
}

export const DEFAULT_PARSE_SETTINGS: ParseSettings = { watchedPorts: DEFAULT_WATCHED_PORTS, copyFormat: 'binary', copyTypes: DECLARED_COPY_TYPES };

let plans: RollupPlans = rollupPlans(DEFAULT_PARSE_SETTINGS.watchedPorts);
/** Per log type: the types its rows are encoded as in binary, or null for text. */
let binaryTypes: CopyColumnTypes = DEFAULT_PARSE_SETTINGS.copyTypes;

/** Sets this thread's parse settings (the main thread's, and each parse thread's at its start). */
export function configureParsing(settings: ParseSettings): void {
  plans = rollupPlans(settings.watchedPorts);
  binaryTypes = settings.copyFormat === 'binary' ? settings.copyTypes : LOG_TYPES.map(() => null);
}

class RowBuilder {
  readonly out = emptyRows(LOG_TYPES.length);
  // Lines come in time order, so per type the hour (and day) rarely change from one line to the
  // next: events are counted in runs and the maps touched only when the hour changes.
  private readonly hour: number[] = LOG_TYPES.map(() => -1);
  private readonly run: number[] = LOG_TYPES.map(() => 0);
  private readonly day: number[] = LOG_TYPES.map(() => -1);
  private readonly counter = new RollupCounter(plans);
  /** Per type: its binary rows' writer, or null when its rows go to out.rows as text. */
  private readonly binary: (BinaryRows | null)[] = binaryTypes.map((types) => (types ? new BinaryRows(types) : null));

  constructor(
    private readonly fileId: number,
    private readonly ctx: ParseContext,
    private readonly refuseAll?: Rejected,
  ) {}

  line(lineNo: number, text: string): void {
    this.out.lineCount++;
    const trimmed = text.trim();
    if (trimmed.length === 0) {
      this.out.blank++;
      return;
    }
    if (this.refuseAll) {
      this.quarantine(lineNo, this.refuseAll, Buffer.from(text));
      return;
    }
    if (lineNo > MAX_LINE_NO) {
      this.quarantine(lineNo, reject('bad_number', `line number ${lineNo} does not fit the log tables (at most ${MAX_LINE_NO})`), Buffer.from(text));
      return;
    }
    const { typeIndex, result } = parseLine(trimmed, this.ctx);
    if (!result.ok) {
      this.quarantine(lineNo, result, Buffer.from(text), typeIndex);
      return;
    }
    const types = COLUMN_TYPES[typeIndex];
    const values = result.values;
    const binary = this.binary[typeIndex];
    if (binary) {
      try {
        binary.push(values, result.epochMs, this.fileId, lineNo);
      } catch (err) {
        if (!(err instanceof OutOfRange)) throw err;
        // A parser let through a number its column cannot hold: the line, not the chunk, is refused.
        this.quarantine(lineNo, reject('bad_number', err.message), Buffer.from(text), typeIndex);
        return;
      }
    } else {
      let row = '';
      for (let i = 0; i < values.length; i++) row += encodeValue(values[i], types[i]) + '\t';
      this.out.rows[typeIndex].pushRow(row + this.fileId + '\t' + lineNo + '\n');
    }
    this.out.records++;

    if (this.out.lastMs === null || result.epochMs > this.out.lastMs) this.out.lastMs = result.epochMs;
    const hour = Math.floor(result.epochMs / HOUR_MS);
    if (hour !== this.hour[typeIndex]) this.newHour(typeIndex, hour);
    this.run[typeIndex]++;
    this.counter.count(typeIndex, values, result.epochMs);
  }

  private newHour(typeIndex: number, hour: number): void {
    this.endRun(typeIndex);
    this.hour[typeIndex] = hour;
    const day = dayOf(hour * HOUR_MS);
    if (day === this.day[typeIndex]) return;
    this.day[typeIndex] = day;
    this.out.days.add(packTypeKey(day, typeIndex));
  }

  private endRun(typeIndex: number): void {
    if (this.run[typeIndex] === 0) return;
    const hourKey = packTypeKey(this.hour[typeIndex], typeIndex);
    this.out.hours.set(hourKey, (this.out.hours.get(hourKey) ?? 0) + this.run[typeIndex]);
    this.run[typeIndex] = 0;
  }

  /** The rows and counts, complete. */
  finish(): ChunkRows {
    for (let t = 0; t < LOG_TYPES.length; t++) this.endRun(t);
    this.out.rows = this.out.rows.map((text, t) => this.binary[t]?.done() ?? text);
    this.out.rollups = this.counter.columns();
    return this.out;
  }

  /** A line rejected before parsing (bytes-level: too long, NUL, invalid UTF-8). */
  rejectBytes(lineNo: number, r: Rejected, raw: Buffer): void {
    this.out.lineCount++;
    this.quarantine(lineNo, r, raw);
  }

  private quarantine(lineNo: number, r: Rejected, raw: Buffer, typeIndex = -1): void {
    this.out.quarantined++;
    const key = `${typeIndex >= 0 ? LOG_TYPES[typeIndex].name : 'none'}\t${r.reason}`;
    this.out.reasons.set(key, (this.out.reasons.get(key) ?? 0) + 1);
    const type = typeIndex >= 0 ? LOG_TYPES[typeIndex].name : '\\N';
    this.out.quarantine.pushRow(
      `${this.fileId}\t${lineNo}\t${type}\t${r.reason}\t${escapeCopyText(r.detail)}\t${encodeBytea(raw)}\n`,
    );
  }
}

/**
 * What the chunk's lines need from their file: the input's zone for stamps without one, and the
 * year for RFC 3164 stamps (fixed, or from the file's modification time as the reader saw it).
 */
export function contextOf(chunk: Chunk): ParseContext {
  let zone: TimeZone;
  try {
    zone = TimeZone.of(chunk.tz ?? 'UTC');
  } catch {
    throw new BadChunk(`chunk ${rangeKey(chunk)}: unknown time zone "${chunk.tz}"`);
  }
  const ref = chunk.mtime ?? Date.now();
  const wall = new Date(ref + zone.offsetAt(ref) * 60_000);
  return { zone, year: chunk.year ?? null, refYear: wall.getUTCFullYear(), refMonth: wall.getUTCMonth() + 1 };
}

/** A chunk's rows, and the parts of its range they cover (the whole range, or what an overlap left). */
export interface PreparedRows {
  rows: ChunkRows;
  segments: FileRange[];
}

/**
 * How to prepare a chunk: parse it; parse the lines `covered` does not hold; or quarantine every
 * line (those `covered` does not hold) as `rejected`.
 */
export type PrepareMode =
  | { kind: 'parse' }
  | { kind: 'uncommitted'; covered: FileRange[] }
  | { kind: 'quarantine'; rejected: Rejected; covered?: FileRange[] };

export function prepareChunk(chunk: Chunk, mode: PrepareMode = { kind: 'parse' }): PreparedRows {
  switch (mode.kind) {
    case 'parse':
      return parseChunk(chunk);
    case 'uncommitted':
      return walkLines(chunk, new RowBuilder(chunk.fileId, contextOf(chunk)), (n) => coversLine(mode.covered, n));
    case 'quarantine': {
      const { covered } = mode;
      return walkLines(chunk, new RowBuilder(chunk.fileId, contextOf(chunk), mode.rejected), covered && ((n) => coversLine(covered, n)));
    }
  }
}

/**
 * Bytes decoded at a time. A piece's string (at most this plus one line) stays under V8's
 * large-object size (128 KB), so it is made in the young generation, whose pages are reused; a
 * whole chunk's string (~500 KB) went to fresh pages every time, and a page fault is costly on
 * some hypervisors (README, "lever" table).
 */
const PIECE_BYTES = 32 * 1024;

/** Parses every line of a chunk. */
export function parseChunk(chunk: Chunk): PreparedRows {
  const b = new RowBuilder(chunk.fileId, contextOf(chunk));
  const { payload } = chunk;
  if (chunk.truncated?.length || payload.indexOf(0) !== -1 || !isUtf8(payload)) return walkLines(chunk, b);
  // Fast path: a few decodes and splits, each of a piece of about PIECE_BYTES cut after a newline.
  let n = 0;
  for (let pos = 0; pos < payload.length; ) {
    const end = pos + PIECE_BYTES >= payload.length ? payload.length : payload.indexOf(10, pos + PIECE_BYTES) + 1 || payload.length;
    const lines = payload.toString('utf8', pos, end).split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i++, n++) if (n < chunk.lineCount) b.line(chunk.firstLine + n, lines[i]);
    pos = end;
  }
  if (n !== chunk.lineCount) throw new BadChunk(`chunk ${rangeKey(chunk)} has ${n} lines, header says ${chunk.lineCount}`);
  const { fileId, start, end, firstLine, lineCount } = chunk;
  return { rows: b.finish(), segments: [{ fileId, start, end, firstLine, lineCount }] };
}

/**
 * Line by line on bytes, for damaged chunks and partial re-writes: lines for which `skip`
 * returns true (committed by an overlapping chunk) are left out, and the segments say which
 * runs of lines were kept.
 */
function walkLines(chunk: Chunk, b: RowBuilder, skip?: (lineNo: number) => boolean): PreparedRows {
  const { payload } = chunk;
  const truncated = new Map(chunk.truncated ?? []);
  const segments: FileRange[] = [];
  let current: FileRange | null = null;
  let pos = 0;
  let offset = chunk.start;
  const mismatch = () => new BadChunk(`chunk ${rangeKey(chunk)}: its payload does not hold the ${chunk.lineCount} lines its header says`);
  for (let i = 0; i < chunk.lineCount; i++) {
    if (pos >= payload.length) throw mismatch();
    let nl = payload.indexOf(10, pos);
    const hasNewline = nl !== -1;
    if (!hasNewline) nl = payload.length;
    const raw = payload.subarray(pos, nl);
    const originalBytes = (truncated.get(i) ?? raw.length) + (hasNewline ? 1 : 0);
    const lineNo = chunk.firstLine + i;
    if (skip?.(lineNo)) {
      current = null;
    } else {
      if (!current) segments.push((current = { fileId: chunk.fileId, start: offset, end: offset, firstLine: lineNo, lineCount: 0 }));
      current.end = offset + originalBytes;
      current.lineCount++;
      if (truncated.has(i)) b.rejectBytes(lineNo, reject('line_too_long', `line of ${truncated.get(i)} bytes, first ${raw.length} kept`), raw);
      else if (raw.indexOf(0) !== -1) b.rejectBytes(lineNo, reject('invalid_encoding', 'line contains a NUL byte'), raw);
      else if (!isUtf8(raw)) b.rejectBytes(lineNo, reject('invalid_encoding', 'line is not valid UTF-8'), raw);
      else b.line(lineNo, raw.toString('utf8'));
    }
    offset += originalBytes;
    pos = nl + 1;
  }
  if (pos < payload.length) throw mismatch();
  return { rows: b.finish(), segments };
}
