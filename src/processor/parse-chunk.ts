/**
 * Turns one chunk into COPY rows per log table, quarantine rows and counts. Pure CPU, no I/O,
 * never throws on bad input: every line becomes a record, a blank or a quarantined line.
 */
import { isUtf8 } from 'node:buffer';
import { LOG_TYPES, parseLine } from '../logtypes/registry.js';
import { reject, type PgType, type Rejected } from '../logtypes/types.js';
import type { Chunk } from '../queue/chunk.js';
import { encodeBytea, encodeValue, escapeCopyText } from '../store/copy-text.js';
import { dayOf } from '../store/partitions.js';

const HOUR_MS = 3_600_000;
const COLUMN_TYPES: PgType[][] = LOG_TYPES.map((t) => t.columns.map((c) => c.type));
/** Per type: [column name, value index] of each declared rollup key. */
const ROLLUP_KEYS: [string, number][][] = LOG_TYPES.map((t) =>
  (t.rollupKeys ?? []).map((k) => [k.column, t.columns.findIndex((c) => c.name === k.column)]),
);

export interface ChunkRows {
  /** COPY text rows per log type (index into LOG_TYPES). */
  rows: string[][];
  /** COPY text rows for logpipe.quarantine. */
  quarantine: string[];
  records: number;
  quarantined: number;
  blank: number;
  lineCount: number;
  /** "typeIndex:day" pairs the rows fall in (partitions needed). */
  days: Set<string>;
  /** "typeIndex:hourStartMs" → events, for the hourly rollup. */
  hours: Map<string, number>;
  /** "typeIndex\0column\0day\0value" → events, for logpipe.daily_key_counts. */
  keys: Map<string, number>;
  /** Lines per quarantine reason, for metrics. */
  reasons: Map<string, number>;
}

export interface Segment {
  start: number;
  end: number;
  firstLine: number;
  lineCount: number;
}

function emptyRows(): ChunkRows {
  return {
    rows: LOG_TYPES.map(() => []), quarantine: [], records: 0, quarantined: 0, blank: 0, lineCount: 0,
    days: new Set(), hours: new Map(), keys: new Map(), reasons: new Map(),
  };
}

class RowBuilder {
  readonly out = emptyRows();
  constructor(
    private readonly fileId: number,
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
    const { typeIndex, result } = parseLine(trimmed);
    if (!result.ok) {
      this.quarantine(lineNo, result, Buffer.from(text), typeIndex);
      return;
    }
    const types = COLUMN_TYPES[typeIndex];
    const values = result.values;
    let row = '';
    for (let i = 0; i < values.length; i++) row += encodeValue(values[i], types[i]) + '\t';
    this.out.rows[typeIndex].push(row + this.fileId + '\t' + lineNo + '\n');
    this.out.records++;
    const day = dayOf(result.epochMs);
    this.out.days.add(typeIndex + ':' + day);
    for (const [column, index] of ROLLUP_KEYS[typeIndex]) {
      const value = values[index];
      if (value === null) continue;
      const key = `${typeIndex}\0${column}\0${day}\0${value}`; // NUL never occurs in a parsed line
      this.out.keys.set(key, (this.out.keys.get(key) ?? 0) + 1);
    }
    const hourKey = typeIndex + ':' + (result.epochMs - (result.epochMs % HOUR_MS));
    this.out.hours.set(hourKey, (this.out.hours.get(hourKey) ?? 0) + 1);
  }

  /** A line rejected before parsing (bytes-level: too long, NUL, invalid UTF-8). */
  rejectBytes(lineNo: number, r: Rejected, raw: Buffer): void {
    this.out.lineCount++;
    this.quarantine(lineNo, r, raw);
  }

  private quarantine(lineNo: number, r: Rejected, raw: Buffer, typeIndex = -1): void {
    this.out.quarantined++;
    this.out.reasons.set(r.reason, (this.out.reasons.get(r.reason) ?? 0) + 1);
    const type = typeIndex >= 0 ? LOG_TYPES[typeIndex].name : '\\N';
    this.out.quarantine.push(
      `${this.fileId}\t${lineNo}\t${type}\t${r.reason}\t${escapeCopyText(r.detail)}\t${encodeBytea(raw)}\n`,
    );
  }
}

/**
 * Parses a chunk. With `skip`, lines for which it returns true (already committed by an
 * overlapping chunk) are left out, and `segments` says which byte/line ranges were kept.
 */
export function parseChunk(
  chunk: Chunk,
  skip?: (lineNo: number) => boolean,
  /** Last resort when PostgreSQL refused the chunk: quarantine every non-blank line with this. */
  refuseAll?: Rejected,
): { rows: ChunkRows; segments: Segment[] } {
  const b = new RowBuilder(chunk.fileId, refuseAll);
  const { payload } = chunk;
  const clean = !skip && !refuseAll && !chunk.truncated?.length && payload.indexOf(0) === -1 && isUtf8(payload);
  if (clean) {
    // Fast path: one decode and one split for the whole chunk.
    const lines = payload.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    if (lines.length !== chunk.lineCount) throw new Error(`chunk ${chunk.fileId}:${chunk.start} has ${lines.length} lines, header says ${chunk.lineCount}`);
    for (let i = 0; i < lines.length; i++) b.line(chunk.firstLine + i, lines[i]);
    return { rows: b.out, segments: [{ start: chunk.start, end: chunk.end, firstLine: chunk.firstLine, lineCount: chunk.lineCount }] };
  }

  // Slow path: line by line on bytes, for damaged chunks and partial re-writes.
  const truncated = new Map(chunk.truncated ?? []);
  const segments: Segment[] = [];
  let current: Segment | null = null;
  let pos = 0;
  let offset = chunk.start;
  for (let i = 0; i < chunk.lineCount; i++) {
    let nl = payload.indexOf(10, pos);
    const hasNewline = nl !== -1;
    if (!hasNewline) nl = payload.length;
    const raw = payload.subarray(pos, nl);
    const originalBytes = (truncated.get(i) ?? raw.length) + (hasNewline ? 1 : 0);
    const lineNo = chunk.firstLine + i;
    if (skip?.(lineNo)) {
      current = null;
    } else {
      if (!current) segments.push((current = { start: offset, end: offset, firstLine: lineNo, lineCount: 0 }));
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
  return { rows: b.out, segments };
}
