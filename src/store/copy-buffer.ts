/**
 * A growable buffer of COPY text. Rows are written into it as soon as they are built, so a
 * batch of tens of thousands of rows is a few buffers rather than as many live strings (which
 * made garbage collection the processor's largest cost), and goes to PostgreSQL without a join.
 * Rows are gathered in a short string first: one Buffer.write per ~16 KB, not per row.
 */
const FLUSH_CHARS = 16 * 1024;

export class CopyBuffer {
  private buf: Buffer;
  private length = 0;
  private pending = '';
  rows = 0;

  /** A buffer holding rows already encoded elsewhere (a parse thread). */
  static of(bytes: Buffer, rows: number): CopyBuffer {
    const c = new CopyBuffer(0);
    c.buf = bytes;
    c.length = bytes.length;
    c.rows = rows;
    return c;
  }

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
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
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const max = s.length * 3;
    if (this.length + max > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + max));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    this.length += this.buf.write(s, this.length);
  }

  /** The rows written so far (a view, not a copy). */
  bytes(): Buffer {
    this.flush();
    return this.buf.subarray(0, this.length);
  }
}
