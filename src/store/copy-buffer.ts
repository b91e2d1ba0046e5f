/**
 * A growable buffer of COPY text. Rows are written into it as soon as they are built, so a
 * batch of tens of thousands of rows is a few buffers rather than as many live strings (which
 * made garbage collection the processor's largest cost), and goes to PostgreSQL without a join.
 */
export class CopyBuffer {
  private buf = Buffer.allocUnsafe(64 * 1024);
  length = 0;
  rows = 0;

  /** Appends one encoded row (ending in a newline). */
  pushRow(row: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const max = row.length * 3;
    if (this.length + max > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + max));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    this.length += this.buf.write(row, this.length);
    this.rows++;
  }

  /** The rows written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
