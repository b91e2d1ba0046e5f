/**
 * A chunk's COPY rows for one table, as parts handed to PostgreSQL as they are: text rows
 * written here as they are built, or binary rows made by BinaryRows (copy-binary.ts) and
 * wrapped with CopyBuffer.of. Text rows go in segments of 256 KB. Rows are gathered in a short
 * string first (one Buffer.write per ~16 KB, not per row), and segments are never grown and
 * copied: a chunk's rows are a few segments handed to PostgreSQL as they are (several parts of
 * one COPY), and moved between threads without a copy. Rows kept as live strings made garbage
 * collection the processor's largest cost; a buffer that doubled as it grew left its smaller
 * copies as garbage and crossed threads with its unused half, which showed as peak memory.
 */
export type CopyFormat = 'text' | 'binary';

const FLUSH_CHARS = 16 * 1024;
/** The size of a segment, text or binary. */
export const SEGMENT_BYTES = 256 * 1024;

/**
 * Segments given back once their rows are committed (parse threads: see ParsePool.recycle), to
 * be written again instead of allocated. Without them, every batch's segments were garbage whose
 * memory V8 frees only when its external-memory limit forces a collection: a processor's
 * buffers (its /metrics' logpipe_nodejs_external_memory_bytes) ran to 78 MiB during a 5M-line run,
 * and to 26 MiB with reuse. Per thread (a module's state is), at most MAX_SPARE.
 */
const spare: ArrayBuffer[] = [];
const MAX_SPARE = 64;

/**
 * Memory for a segment of at least `min` bytes, its own (not Node's shared pool), so it can move
 * between threads whole. A reused one holds old bytes: writers send only what they wrote.
 */
export function newSegment(min: number): Buffer<ArrayBuffer> {
  if (min <= SEGMENT_BYTES) {
    const ab = spare.pop();
    if (ab) return Buffer.from(ab);
  }
  return Buffer.from(new ArrayBuffer(Math.max(SEGMENT_BYTES, min)));
}

/** Takes back whole segments (others, and any beyond MAX_SPARE, are left to the garbage collector). */
export function reuseSegments(segments: ArrayBuffer[]): void {
  for (const ab of segments) if (ab.byteLength === SEGMENT_BYTES && spare.length < MAX_SPARE) spare.push(ab);
}

/**
 * A segment written up to `used`, as a part to send: a view of it, or, when it is mostly empty,
 * a copy of its bytes (so no unused half crosses threads), the segment then reused at once.
 */
export function sealSegment(segment: Buffer, used: number): Buffer {
  const written = segment.subarray(0, used);
  if (used >= segment.length / 2) return written;
  const copy = Buffer.from(written);
  reuseSegments([segment.buffer as ArrayBuffer]);
  return copy;
}

/** Segments held for reuse in this thread (for tests). */
export function spareSegments(): number {
  return spare.length;
}

/** The whole segments these rows are written in, each once: what can be given back once they are committed. */
export function segmentsOf(buffers: CopyBuffer[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const b of buffers) for (const p of b.parts()) if (p.buffer.byteLength === SEGMENT_BYTES) out.add(p.buffer as ArrayBuffer);
  return [...out];
}

export class CopyBuffer {
  private readonly segments: Buffer[] = [];
  private current: Buffer | null = null;
  private used = 0;
  private pending = '';
  rows = 0;

  /** COPY's text format (rows pushed here), or binary (rows encoded by BinaryRows, src/store/copy-binary.ts). */
  constructor(readonly format: CopyFormat = 'text') {}

  /** Rows already encoded elsewhere (a parse thread), as one or more parts. */
  static of(parts: Buffer | Buffer[], rows: number, format: CopyFormat = 'text'): CopyBuffer {
    const c = new CopyBuffer(format);
    c.segments.push(...(Array.isArray(parts) ? parts : [parts]).filter((p) => p.length > 0));
    c.rows = rows;
    return c;
  }

  /** Appends one encoded row (ending in a newline). */
  pushRow(row: string): void {
    this.pending += row;
    this.rows++;
    if (this.pending.length >= FLUSH_CHARS) this.flush();
  }

  private flush(): void {
    const s = this.pending;
    if (s.length === 0) return;
    this.pending = '';
    // UTF-8 takes at most 3 bytes per UTF-16 code unit: start a segment when the rest might not hold it.
    const max = s.length * 3;
    if (!this.current || this.used + max > this.current.length) {
      this.seal();
      this.current = newSegment(max);
    }
    this.used += this.current.write(s, this.used);
  }

  /** The current segment, as far as it is written, joins the finished ones (copied to its size when mostly empty, so no unused half crosses threads). */
  private seal(): void {
    if (this.current && this.used > 0) this.segments.push(sealSegment(this.current, this.used));
    this.current = null;
    this.used = 0;
  }

  /** The rows written so far, as parts (views, not copies). Ends writing. */
  parts(): Buffer[] {
    this.flush();
    this.seal();
    return this.segments;
  }

  /** The rows as one buffer (a copy when there are several parts): for tests and small uses. */
  bytes(): Buffer {
    const p = this.parts();
    return p.length === 1 ? p[0] : Buffer.concat(p);
  }
}
