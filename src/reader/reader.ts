/**
 * The reader: files → chunks → queue. It never parses. It resumes from the database's ledger,
 * not from local memory: chunks already committed are skipped, the rest is (re)published. Without
 * --follow it reads the files present, then waits until every line is committed, publishing
 * again whatever the queue lost (Redis flushed or restarted). With --follow it keeps reading
 * growing files and new ones until stopped.
 */
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { Backoff } from '../backoff.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { encodeChunk, type Chunk } from '../queue/chunk.js';
import { sleep, type ChunkQueue } from '../queue/types.js';
import { retrying } from '../store/db.js';
import { BOOK_SCHEMA } from '../store/schema.js';
import { Chunker } from './chunker.js';
import { discover, registerFile, resumePoint, type FileRow } from './files.js';

const READ_BYTES = 1 << 20;
/** Nothing committed for this long while the queue is empty: its messages were lost. */
const STALL_MS = 2_000;

export interface ReaderOptions {
  /** Files or directories to read besides config.logDir. */
  paths?: string[];
  /** Don't read config.logDir (only `paths`). */
  noLogDir?: boolean;
}

interface Followed {
  row: FileRow;
  path: string;
  fh: FileHandle;
  ino: number;
  readPos: number;
  chunker: Chunker;
  later: Set<string>;
  published: number;
}

export class Reader {
  private token = '';
  private readonly abort = new AbortController();
  published = 0;
  /** Compressed bytes of the messages published (header + body), for the benchmark. */
  publishedBytes = 0;
  republished = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly queue: ChunkQueue,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly opts: ReaderOptions = {},
  ) {}

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Stop reading and publishing (a publish waiting on backpressure gives up). Safe twice. */
  stop(): void {
    this.abort.abort();
  }

  async run(): Promise<void> {
    this.token = await this.queue.marker();
    if (this.config.reader.follow) return this.follow();
    const files: FileRow[] = [];
    for (const path of await this.paths()) {
      const row = await this.db('register file', () => registerFile(this.pool, path, this.config.chunk));
      if (!row) continue;
      files.push(row);
      await this.publishFile(row, path);
      if (this.stopped) return;
    }
    await this.waitUntilCommitted(files);
  }

  /** A database call that waits out a PostgreSQL restart instead of failing the reader. */
  private db<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return retrying(what, fn, this.log, this.abort.signal);
  }

  private paths(): Promise<string[]> {
    return discover(this.opts.noLogDir ? undefined : this.config.logDir, this.opts.paths);
  }

  private chunker(row: FileRow, offset: number, line: number): Chunker {
    return new Chunker(
      row.id,
      { maxLines: row.chunk_max_lines, maxBytes: row.chunk_max_bytes, maxLineBytes: this.config.chunk.maxLineBytes },
      offset,
      line,
    );
  }

  private async publish(chunk: Chunk, later: Set<string>): Promise<boolean> {
    if (later.has(`${chunk.start}-${chunk.end}`)) return false; // already committed
    const message = await encodeChunk(chunk);
    for (const backoff = new Backoff(); ; ) {
      try {
        await this.queue.publish(message, this.abort.signal);
        break;
      } catch (err) {
        if (this.stopped) return false;
        this.log.warn({ err: (err as Error).message, retryInMs: backoff.nextMs }, 'queue unreachable, retrying');
        await backoff.wait(this.abort.signal);
      }
    }
    this.published++;
    this.publishedBytes += Buffer.byteLength(message.header) + message.body.length;
    return true;
  }

  /** Reads a whole (finished) file from the end of its committed prefix and publishes its chunks. */
  private async publishFile(row: FileRow, path: string): Promise<void> {
    const rp = await this.db('resume point', () => resumePoint(this.pool, row.id));
    if (row.total_lines !== null && rp.committedLines >= row.total_lines) return;
    const chunker = this.chunker(row, rp.offset, rp.line);
    // Offsets count uncompressed bytes, so a .gz file is decompressed from its start and skipped.
    const stream = row.compressed
      ? createReadStream(path, { highWaterMark: READ_BYTES }).pipe(createGunzip())
      : createReadStream(path, { start: rp.offset, highWaterMark: READ_BYTES });
    let skip = row.compressed ? rp.offset : 0;
    let published = 0;
    let lastProgress = Date.now();
    this.log.info({ file: path, id: row.id, resumeAt: rp.offset, line: rp.line }, 'reading');
    try {
      for await (let buf of stream as AsyncIterable<Buffer>) {
        if (skip > 0) {
          if (buf.length <= skip) {
            skip -= buf.length;
            continue;
          }
          buf = buf.subarray(skip);
          skip = 0;
        }
        for (const c of chunker.feed(buf)) if (await this.publish(c, rp.later)) published++;
        if (this.stopped) return;
        if (Date.now() - lastProgress > 1000) {
          lastProgress = Date.now();
          await this.progress(row.id, chunker.linesSeen, published);
          published = 0;
        }
      }
    } finally {
      stream.destroy();
    }
    for (const c of chunker.finish()) if (await this.publish(c, rp.later)) published++;
    await this.progress(row.id, chunker.linesSeen, published, chunker.offset);
    row.total_lines = chunker.linesSeen;
  }

  private async progress(fileId: number, linesRead: number, published: number, eofOffset?: number): Promise<void> {
    await this.db('file progress', () => this.pool.query(
      `UPDATE ${BOOK_SCHEMA}.files SET lines_read = $2, chunks_published = chunks_published + $3, updated_at = now(),
              eof_offset = coalesce($4, eof_offset), total_lines = CASE WHEN $4::bigint IS NULL THEN total_lines ELSE $2 END
        WHERE id = $1`,
      [fileId, linesRead, published, eofOffset ?? null],
    ));
  }

  /** Waits until every line of `files` is committed, republishing what the queue lost. */
  private async waitUntilCommitted(files: FileRow[]): Promise<void> {
    const ids = files.map((f) => f.id);
    let committedBefore = -1;
    let lastProgress = Date.now();
    while (!this.stopped) {
      const r = await this.db('commit check', () => this.pool.query<{ id: number; path: string; total_lines: number | null; committed: number }>(
        `SELECT f.id, f.path, f.total_lines, coalesce(sum(c.line_count), 0)::bigint AS committed
           FROM ${BOOK_SCHEMA}.files f LEFT JOIN ${BOOK_SCHEMA}.chunks c ON c.file_id = f.id
          WHERE f.id = ANY($1) GROUP BY f.id`,
        [ids],
      ));
      const incomplete = r.rows.filter((f) => f.total_lines === null || f.committed < f.total_lines);
      if (incomplete.length === 0) return;
      const committed = r.rows.reduce((a, f) => a + f.committed, 0);
      if (committed !== committedBefore) {
        committedBefore = committed;
        lastProgress = Date.now();
      }
      let lost = false;
      try {
        const token = await this.queue.marker();
        lost = token !== this.token;
        this.token = token;
        if (!lost && Date.now() - lastProgress > STALL_MS) lost = (await this.queue.stats()).depth === 0;
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'queue unreachable while waiting for commits');
      }
      if (lost) {
        this.log.warn({ files: incomplete.length }, 'queue lost messages (flushed or restarted?): publishing uncommitted chunks again');
        const before = this.published;
        for (const f of incomplete) {
          const row = files.find((x) => x.id === f.id)!;
          await this.publishFile(row, row.path);
        }
        this.republished += this.published - before;
        lastProgress = Date.now();
      }
      await sleep(200, this.abort.signal);
    }
  }

  /** --follow: poll for new files and growth until stopped. */
  private async follow(): Promise<void> {
    const followed = new Map<number, Followed>();
    const byPath = new Map<string, number>();
    const finished = new Set<number>();
    try {
      while (!this.stopped) {
        for (const path of await this.paths()) {
          if (byPath.has(path)) continue;
          const row = await this.db('register file', () => registerFile(this.pool, path, this.config.chunk));
          if (!row || finished.has(row.id)) continue;
          const known = followed.get(row.id);
          if (known) {
            known.path = path; // renamed
            byPath.set(path, row.id);
            continue;
          }
          if (row.compressed) {
            await this.publishFile(row, path); // a .gz file is complete: read once
            finished.add(row.id);
            continue;
          }
          const rp = await this.db('resume point', () => resumePoint(this.pool, row.id));
          const fh = await open(path, 'r');
          const st = await fh.stat();
          followed.set(row.id, {
            row, path, fh, ino: st.ino, readPos: rp.offset, chunker: this.chunker(row, rp.offset, rp.line), later: rp.later, published: 0,
          });
          byPath.set(path, row.id);
          this.log.info({ file: path, id: row.id, resumeAt: rp.offset }, 'following');
        }
        for (const f of followed.values()) {
          if (this.stopped) break;
          await this.poll(f);
          const current = await stat(f.path).catch(() => null);
          const truncated = (await f.fh.stat()).size < f.readPos;
          if (truncated || !current || current.ino !== f.ino) {
            // Rotated away, removed or truncated in place: what we hold is final.
            if (!truncated) for (const c of f.chunker.finish()) if (await this.publish(c, f.later)) f.published++;
            await this.progress(f.row.id, f.chunker.linesSeen, f.published, truncated ? undefined : f.chunker.offset);
            await f.fh.close();
            followed.delete(f.row.id);
            finished.add(f.row.id);
            if (byPath.get(f.path) === f.row.id) byPath.delete(f.path);
            this.log.info({ file: f.path, id: f.row.id, truncated }, truncated ? 'file truncated: reading it as a new file' : 'file rotated: finished');
          } else {
            await this.progress(f.row.id, f.chunker.linesSeen, f.published);
          }
          f.published = 0;
        }
        await sleep(this.config.reader.pollMs, this.abort.signal);
      }
    } finally {
      for (const f of followed.values()) await f.fh.close().catch(() => {});
    }
  }

  /** Reads what a followed file gained; sends a partial chunk once it is flushMs old. */
  private async poll(f: Followed): Promise<void> {
    const { size } = await f.fh.stat();
    const buf = Buffer.allocUnsafe(READ_BYTES);
    while (f.readPos < size && !this.stopped) {
      const { bytesRead } = await f.fh.read(buf, 0, Math.min(READ_BYTES, size - f.readPos), f.readPos);
      if (bytesRead === 0) break;
      f.readPos += bytesRead;
      // The chunker keeps slices of what it is fed, so it gets a copy, not the reused buffer.
      for (const c of f.chunker.feed(Buffer.from(buf.subarray(0, bytesRead)))) if (await this.publish(c, f.later)) f.published++;
    }
    if (f.chunker.pendingLines > 0 && Date.now() - f.chunker.openedAt >= this.config.chunk.flushMs) {
      for (const c of f.chunker.flush()) if (await this.publish(c, f.later)) f.published++;
    }
  }
}
