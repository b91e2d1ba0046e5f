/**
 * Cuts a byte stream into lines and lines into chunks. Framing only, never parsing.
 *
 * Boundaries are deterministic: starting from a chunk boundary with the same bounds, the same
 * bytes always give the same chunks, so a re-read after a crash reproduces the ids the ledger
 * knows. A line longer than maxLineBytes is not buffered: its first maxLineBytes are kept as
 * evidence and the rest is skipped up to the newline.
 */
import type { Chunk, ChunkHeader } from '../queue/chunk.js';

/** What every chunk of a file carries for its parser: the input's zone and year, the file's mtime. */
export type ChunkMeta = Pick<ChunkHeader, 'tz' | 'year' | 'mtime'>;

export interface ChunkBounds {
  maxLines: number;
  maxBytes: number;
  maxLineBytes: number;
}

export class Chunker {
  /** File offset where the next (partial) line starts. */
  private lineStart: number;
  /** 1-based number of the next line. */
  private nextLine: number;
  // The partial line carried between reads.
  private partial: Buffer[] = [];
  private partialKept = 0;
  private partialBytes = 0;
  // The chunk under construction.
  private parts: Buffer[] = [];
  private chunkStart: number;
  private chunkFirstLine: number;
  private chunkLines = 0;
  private chunkBytes = 0;
  private truncated: [number, number][] = [];
  /** When the oldest line of the open chunk was added (for the follow-mode flush timeout). */
  openedAt = 0;

  constructor(
    private readonly fileId: number,
    private readonly bounds: ChunkBounds,
    startOffset = 0,
    firstLine = 1,
    /** Copied into every chunk; the reader updates `mtime` as the file changes. */
    readonly meta: ChunkMeta = {},
  ) {
    this.lineStart = startOffset;
    this.nextLine = firstLine;
    this.chunkStart = startOffset;
    this.chunkFirstLine = firstLine;
  }

  /** Offset just past the last complete line seen. */
  get offset(): number {
    return this.lineStart;
  }

  get linesSeen(): number {
    return this.nextLine - 1;
  }

  get pendingLines(): number {
    return this.chunkLines;
  }

  /** Bytes of a last line still waiting for its newline. */
  get partialLineBytes(): number {
    return this.partialBytes;
  }

  /**
   * Feeds bytes that follow the previous ones; returns the chunks they completed. Ordinary lines
   * are only counted: a chunk's payload is one slice (or a few) of what was fed, not a copy per
   * line. A line begun in an earlier read, or an over-long one, takes the careful path.
   */
  feed(buf: Buffer, out: Chunk[] = []): Chunk[] {
    let pos = 0;
    if (this.partialBytes > 0) {
      const nl = buf.indexOf(10);
      if (nl === -1) {
        this.keepPartial(buf);
        return out;
      }
      this.keepPartial(buf.subarray(0, nl + 1));
      this.endLine(true, out);
      pos = nl + 1;
    }
    let runStart = pos; // first byte of this read's lines not yet in `parts`
    for (;;) {
      const nl = buf.indexOf(10, pos);
      if (nl === -1) break;
      const lineBytes = nl + 1 - pos;
      if (lineBytes - 1 > this.bounds.maxLineBytes) {
        this.addRun(buf, runStart, pos);
        this.keepPartial(buf.subarray(pos, nl + 1));
        this.endLine(true, out);
        pos = runStart = nl + 1;
        continue;
      }
      if (this.chunkLines > 0 && this.chunkBytes + lineBytes > this.bounds.maxBytes) {
        this.addRun(buf, runStart, pos);
        runStart = pos;
        this.flush(out);
      }
      if (this.chunkLines === 0) this.openedAt = Date.now();
      this.chunkLines++;
      this.chunkBytes += lineBytes;
      this.lineStart += lineBytes;
      this.nextLine++;
      pos = nl + 1;
      if (this.chunkLines >= this.bounds.maxLines) {
        this.addRun(buf, runStart, pos);
        runStart = pos;
        this.flush(out);
      }
    }
    this.addRun(buf, runStart, pos);
    if (pos < buf.length) this.keepPartial(buf.subarray(pos));
    return out;
  }

  private addRun(buf: Buffer, from: number, to: number): void {
    if (to > from) this.parts.push(buf.subarray(from, to));
  }

  /** Takes a last line that has no newline as complete (the file is finished, or settled). */
  takePartialLine(out: Chunk[] = []): Chunk[] {
    if (this.partialBytes > 0) this.endLine(false, out);
    return out;
  }

  /** End of a finished file: the last line may have no newline. Returns the final chunks. */
  finish(out: Chunk[] = []): Chunk[] {
    this.takePartialLine(out);
    this.flush(out);
    return out;
  }

  /** Emits the open chunk (complete lines only), e.g. on the follow-mode timeout. */
  flush(out: Chunk[] = []): Chunk[] {
    if (this.chunkLines === 0) return out;
    const truncated = this.truncated.length ? this.truncated : undefined;
    out.push({
      fileId: this.fileId,
      start: this.chunkStart,
      end: this.lineStart,
      firstLine: this.chunkFirstLine,
      lineCount: this.chunkLines,
      ...(truncated ? { truncated } : {}),
      ...this.meta,
      payload: this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts),
    });
    this.parts = [];
    this.truncated = [];
    this.chunkStart = this.lineStart;
    this.chunkFirstLine = this.nextLine;
    this.chunkLines = 0;
    this.chunkBytes = 0;
    return out;
  }

  private keepPartial(piece: Buffer): void {
    this.partialBytes += piece.length;
    const room = this.bounds.maxLineBytes + 1 - this.partialKept; // +1: the newline
    if (room <= 0) return;
    const kept = piece.length <= room ? piece : piece.subarray(0, room);
    this.partial.push(kept);
    this.partialKept += kept.length;
  }

  private endLine(hasNewline: boolean, out: Chunk[]): void {
    const lineBytes = this.partialBytes; // original length, newline included
    const contentBytes = lineBytes - (hasNewline ? 1 : 0);
    let line = this.partial.length === 1 ? this.partial[0] : Buffer.concat(this.partial);
    let truncatedTo = -1;
    if (contentBytes > this.bounds.maxLineBytes) {
      line = Buffer.concat([line.subarray(0, this.bounds.maxLineBytes), Buffer.from('\n')]);
      truncatedTo = contentBytes;
    }
    this.partial = [];
    this.partialKept = 0;
    this.partialBytes = 0;

    if (this.chunkLines > 0 && this.chunkBytes + lineBytes > this.bounds.maxBytes) this.flush(out);
    if (this.chunkLines === 0) this.openedAt = Date.now();
    if (truncatedTo >= 0) this.truncated.push([this.chunkLines, truncatedTo]);
    this.parts.push(line);
    this.chunkLines++;
    this.chunkBytes += lineBytes;
    this.lineStart += lineBytes;
    this.nextLine++;
    if (this.chunkLines >= this.bounds.maxLines) this.flush(out);
  }
}
