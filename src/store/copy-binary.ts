/**
 * PostgreSQL COPY binary-format encoding (processor.copyFormat binary). Rows are written as bytes
 * straight into 256 KB segments: the server skips its text input functions (timestamptz and inet
 * parsing are a large part of COPY's CPU) and the parse thread builds no row strings. Every value
 * was validated by its parser, so the encoders only convert; what each writes is exactly what
 * PostgreSQL's text input makes of the same value (test/integration/copy-format.test.ts compares them).
 */
import { ipv4Bits } from '../logtypes/fields.js';
import type { PgType, Value } from '../logtypes/types.js';
import { CopyBuffer, newSegment, sealSegment } from './copy-buffer.js';

/** PostgreSQL's epoch (2000-01-01 UTC) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;

/** What opens and closes one binary COPY: the signature, flags and extension length; the -1 field count. */
export const COPY_BINARY_HEADER = Buffer.from([...Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), 0, 0, 0, 0, 0, 0, 0, 0]);
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** Round half to even, as C's rint() in the default rounding mode (PostgreSQL rounds fractions of seconds with it). */
function rint(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The microseconds PostgreSQL stores for an ISO stamp `ts` whose instant, to the millisecond,
 * is `epochMs`: whole seconds from `epochMs`, the fraction from the text, rounded to
 * microseconds as timestamptz's input does (more than six digits: rint of the fraction × 10⁶).
 */
export function timestampMicros(ts: string, epochMs: number): number {
  const ms = epochMs - (((epochMs % 1000) + 1000) % 1000);
  let micros = 0;
  if (ts.charCodeAt(19) === 46) {
    let end = 20;
    while (end < ts.length && ts.charCodeAt(end) >= 48 && ts.charCodeAt(end) <= 57) end++;
    if (end - 20 <= 6) {
      for (let i = 20; i < 26; i++) micros = micros * 10 + (i < end ? ts.charCodeAt(i) - 48 : 0);
    } else {
      micros = rint(Number(ts.slice(19, end)) * 1_000_000);
    }
  }
  return (ms - PG_EPOCH_MS) * 1000 + micros;
}

/** Writes the 16 bytes of a valid IPv6 literal (as net.isIPv6 accepts, no zone) at `at`. */
export function writeIPv6(s: string, out: Buffer, at: number): void {
  const groups: number[] = [];
  let gap = -1;
  let tail4: number[] | null = null;
  let i = 0;
  if (s.startsWith('::')) {
    gap = 0;
    i = 2;
  }
  while (i < s.length) {
    const colon = s.indexOf(':', i);
    const end = colon === -1 ? s.length : colon;
    const part = s.slice(i, end);
    if (part.indexOf('.') !== -1) tail4 = part.split('.').map(Number);
    else groups.push(parseInt(part, 16));
    if (colon === -1) break;
    i = colon + 1;
    if (s.charCodeAt(i) === 58) {
      gap = groups.length;
      i++;
    }
  }
  if (tail4) groups.push((tail4[0] << 8) | tail4[1], (tail4[2] << 8) | tail4[3]);
  const missing = 8 - groups.length;
  const all = gap === -1 ? groups : [...groups.slice(0, gap), ...new Array<number>(missing).fill(0), ...groups.slice(gap)];
  for (let g = 0; g < 8; g++) out.writeUInt16BE(all[g], at + g * 2);
}

/** A number its column cannot hold: text COPY would have had PostgreSQL refuse it; binary would wrap it silently. */
export class OutOfRange extends RangeError {
  override name = 'OutOfRange';
}

/**
 * Most bytes a value of `type` takes in a row (its length word included); strings at 3 bytes a
 * UTF-16 unit. Throws OutOfRange for a number its column cannot hold, before anything is written.
 */
function maxBytes(v: Value, type: PgType): number {
  if (v === null) return 4;
  switch (type) {
    case 'timestamptz':
      return 12;
    case 'bigint':
      if (!Number.isSafeInteger(v)) throw new OutOfRange(`${String(v)} is not an integer logpipe can write exactly`);
      return 12;
    case 'integer':
      if (((v as number) | 0) !== v) throw new OutOfRange(`${String(v)} does not fit an integer column`);
      return 8;
    case 'boolean':
      return 5;
    case 'inet':
      return 24;
    case 'jsonb':
      return -1; // measured once its text is made
    default:
      return 4 + (v as string).length * 3;
  }
}

/** No segment yet (the first row allocates: most chunks hold only some types), or none any more. */
const NONE = Buffer.alloc(0);
const NONE_VIEW = new DataView(NONE.buffer, NONE.byteOffset, 0);

/** Binary COPY rows of one table, written field by field into segments. */
export class BinaryRows {
  private readonly segments: Buffer[] = [];
  private buf = NONE;
  private view = NONE_VIEW;
  private pos = 0;
  rows = 0;

  /** Room for `n` more bytes in the current segment, checked once a row. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) this.segments.push(this.buf.subarray(0, this.pos));
    this.buf = newSegment(n);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }

  private int32(v: number): void {
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }

  private int64(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.view.setInt32(this.pos, hi);
    this.view.setUint32(this.pos + 4, v - hi * TWO_32);
    this.pos += 8;
  }

  /** An integer column: 4 bytes, or 8 where the table's column is a bigint (line_no in a database from 0.1.0). */
  private whole(v: number, type: PgType): void {
    if (type === 'bigint') {
      this.int32(8);
      this.int64(v);
    } else {
      this.int32(4);
      this.int32(v);
    }
  }

  /** The bytes of text as UTF-8 after their length; ASCII (nearly always) copied code by code. */
  private text(s: string): void {
    const len = s.length;
    const start = this.pos + 4;
    const buf = this.buf;
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      buf[start + i] = c;
    }
    const bytes = i === len ? len : i + buf.write(s.slice(i), start + i, 'utf8');
    this.view.setInt32(this.pos, bytes);
    this.pos = start + bytes;
  }

  /** `types`: the table's columns as encoded, the record's then file_id and line_no (copyColumnTypes). */
  constructor(private readonly types: readonly PgType[]) {}

  /** One row: the record's values in its columns' order, then file_id and line_no. Throws OutOfRange (nothing written) for a number its column cannot hold. */
  push(values: Value[], epochMs: number, fileId: number, lineNo: number): void {
    const types = this.types;
    let need = 2 + 24;
    let json: string | null = null;
    for (let f = 0; f < values.length; f++) {
      const m = maxBytes(values[f], types[f]);
      if (m >= 0) need += m;
      else {
        json = JSON.stringify(values[f]); // jsonb: one per table at most
        need += 5 + json.length * 3;
      }
    }
    this.room(need);
    this.view.setInt16(this.pos, types.length);
    this.pos += 2;
    for (let f = 0; f < values.length; f++) {
      const v = values[f];
      if (v === null) {
        this.int32(-1);
        continue;
      }
      switch (types[f]) {
        case 'timestamptz':
          this.int32(8);
          this.int64(timestampMicros(v as string, epochMs));
          break;
        case 'integer':
          this.int32(4);
          this.int32(v as number);
          break;
        case 'bigint':
          this.int32(8);
          this.int64(v as number);
          break;
        case 'boolean':
          this.int32(1);
          this.buf[this.pos++] = v ? 1 : 0;
          break;
        case 'inet': {
          // An IPv4 address as its bits, as the parsers give it (src/logtypes/fields.ts ipValue);
          // one given as text (another log type's) is read the same way.
          const v4 = typeof v === 'number' ? v : ipv4Bits(v as string);
          // family (PGSQL_AF_INET 2, PGSQL_AF_INET6 3), prefix bits, is_cidr, address length, address
          if (v4 !== null) {
            this.int32(8);
            this.view.setInt32(this.pos, 0x02_20_00_04);
            this.view.setInt32(this.pos + 4, v4);
            this.pos += 8;
          } else {
            this.int32(20);
            this.view.setInt32(this.pos, 0x03_80_00_10);
            writeIPv6(v as string, this.buf, this.pos + 4);
            this.pos += 20;
          }
          break;
        }
        case 'jsonb': {
          // jsonb's binary form: version 1, then the JSON text.
          const at = this.pos;
          this.pos += 4;
          this.buf[this.pos++] = 1;
          this.pos += this.buf.write(json!, this.pos, 'utf8');
          this.view.setInt32(at, this.pos - at - 4);
          break;
        }
        default: // text and enum labels
          this.text(v as string);
      }
    }
    this.whole(fileId, types[values.length]);
    this.whole(lineNo, types[values.length + 1]);
    this.rows++;
  }

  /** The rows, as parts of one COPY (without its header and trailer, which the COPY adds). */
  done(): CopyBuffer {
    if (this.pos > 0) this.segments.push(sealSegment(this.buf, this.pos));
    // Ends writing: the segment is sent or given back, so a row after this starts a new one.
    this.buf = NONE;
    this.view = NONE_VIEW;
    this.pos = 0;
    return CopyBuffer.of(this.segments, this.rows, 'binary');
  }
}
