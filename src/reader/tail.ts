/**
 * Reading one file from its committed end: the one way both batch runs and --follow read. A
 * pass reads the complete lines present now, from where the ledger's committed prefix ends,
 * cuts them into chunks and publishes them (skipping chunks already committed beyond a gap).
 *
 * A last line without a newline may be a line its writer is still writing. It is held back until
 * the file has not changed for `settleMs`, then taken as it is; a compressed or deleted file is
 * finished, so its last line is taken at once. (If a writer later continues a line taken this
 * way, the continuation is read as a line of its own, usually quarantined: nothing is lost.)
 */
import { rangeKey } from '../core/range.js';
import type { Chunk } from '../queue/chunk.js';
import type { FileRow, ReadProgress, ResumePoint } from '../store/files.js';
import { Chunker, type ChunkMeta } from './chunker.js';
import { gunzipStream, type Source } from './source.js';

const READ_BYTES = 1 << 20;

export interface TailOptions {
  maxLineBytes: number;
  settleMs: number;
  /** The input's zone and year, carried by every chunk. */
  meta: ChunkMeta;
}

/** Publishes a chunk; false if it was not (stopping). */
export type Publish = (chunk: Chunk) => Promise<boolean>;

export class FileTail {
  readonly id: number;
  path: string;
  readonly compressed: boolean;
  /** Physical read position (plain files): the next byte to read. */
  private readPos: number;
  private readonly chunker: Chunker;
  /** Committed ranges beyond the prefix, as `start-end`: their chunks are not published again. */
  private readonly committed: Set<string>;
  private published = 0;
  private size: number;
  private mtimeMs: number;
  /** Set once a compressed file has been read: it does not grow. */
  private finished = false;

  constructor(
    private readonly src: Source,
    row: FileRow,
    rp: ResumePoint,
    private readonly opts: TailOptions,
    private readonly publish: Publish,
  ) {
    this.id = row.id;
    this.path = src.path;
    this.compressed = src.compressed;
    this.readPos = rp.offset;
    this.size = src.stat.size;
    this.mtimeMs = src.stat.mtimeMs;
    this.committed = new Set(rp.later.map(rangeKey));
    this.chunker = new Chunker(
      row.id,
      { maxLines: row.chunk_max_lines, maxBytes: row.chunk_max_bytes, maxLineBytes: opts.maxLineBytes },
      rp.offset,
      rp.line,
      { ...opts.meta, mtime: src.stat.mtimeMs },
    );
  }

  get inode(): number {
    return this.src.stat.ino;
  }

  /** When the oldest line of the open chunk arrived, or null if no chunk is open. */
  get openSince(): number | null {
    return this.chunker.pendingLines > 0 ? this.chunker.openedAt : null;
  }

  private async send(chunks: Chunk[]): Promise<boolean> {
    for (const c of chunks) {
      if (this.committed.has(rangeKey(c))) continue; // already committed (a gap's far side)
      if (!(await this.publish(c))) return false;
      this.published++;
    }
    return true;
  }

  /**
   * Reads what the file holds beyond what was read and publishes the chunks that fill up.
   * 'truncated' when a plain file became shorter than what was read (copytruncate, or replaced
   * in place): what was read stands, and the file is new from now on. 'deleted' when the file
   * has no name left (removed after rotation): it will not grow again. 'done' for a compressed file, read whole.
   */
  async readAvailable(stopped: () => boolean): Promise<'ok' | 'truncated' | 'deleted' | 'done'> {
    if (this.finished) return 'done';
    if (this.compressed) {
      await this.readCompressed(stopped);
      return this.finished ? 'done' : 'ok';
    }
    const st = await this.src.fh.stat();
    if (st.size < this.readPos) return 'truncated';
    this.size = st.size;
    this.mtimeMs = st.mtimeMs;
    this.chunker.meta.mtime = st.mtimeMs;
    const buf = Buffer.allocUnsafe(READ_BYTES);
    while (this.readPos < st.size && !stopped()) {
      const { bytesRead } = await this.src.fh.read(buf, 0, Math.min(READ_BYTES, st.size - this.readPos), this.readPos);
      if (bytesRead === 0) break;
      this.readPos += bytesRead;
      // The chunker keeps slices of what it is fed, so it gets a copy, not the reused buffer.
      if (!(await this.send(this.chunker.feed(Buffer.from(buf.subarray(0, bytesRead)))))) return 'ok';
    }
    return st.nlink === 0 ? 'deleted' : 'ok';
  }

  /** Offsets count decompressed bytes, so a gzip file is decompressed from its start and the committed prefix skipped. */
  private async readCompressed(stopped: () => boolean): Promise<void> {
    let skip = this.readPos;
    const stream = gunzipStream(this.path, READ_BYTES);
    try {
      for await (let buf of stream) {
        if (skip > 0) {
          if (buf.length <= skip) {
            skip -= buf.length;
            continue;
          }
          buf = buf.subarray(skip);
          skip = 0;
        }
        if (!(await this.send(this.chunker.feed(buf))) || stopped()) return;
      }
    } finally {
      stream.destroy();
    }
    this.finished = true;
    await this.send(this.chunker.takePartialLine());
  }

  /** Publishes the open chunk of complete lines (at the end of a pass, or when it has waited long enough). */
  async flush(): Promise<void> {
    await this.send(this.chunker.flush());
  }

  /**
   * Takes an unterminated last line once the file has not changed for settleMs (at once with
   * `final`: the file is gone or finished). Returns the bytes still held back.
   */
  async settle(final = false, now = Date.now()): Promise<number> {
    const held = this.chunker.partialLineBytes;
    if (held === 0) return 0;
    if (!final && now - this.mtimeMs < this.opts.settleMs) return held;
    await this.send(this.chunker.takePartialLine());
    return 0;
  }

  /** What to record: how far reading got; at the end of a pass that holds nothing back, the file as seen. */
  progress(reading: boolean): ReadProgress {
    const p: ReadProgress = { linesRead: this.chunker.linesSeen, readOffset: this.chunker.offset, published: this.published, reading };
    this.published = 0;
    if (!reading && this.chunker.partialLineBytes === 0) p.seen = { size: this.size, mtimeMs: Math.round(this.mtimeMs) };
    return p;
  }

  /** Lines read so far: the number of the last line cut into a chunk. */
  get linesRead(): number {
    return this.chunker.linesSeen;
  }

  get heldBytes(): number {
    return this.chunker.partialLineBytes;
  }

  async close(): Promise<void> {
    await this.src.fh.close().catch(() => {});
  }
}
