/**
 * The reader: files → chunks → queue. It never parses. It resumes from the database's ledger,
 * not from local memory: what is committed is skipped, the rest is (re)published. A batch run
 * reads what each file holds now past its committed end (so a file that grew since the last run
 * gives exactly its new lines), then waits until every line it read is committed, publishing
 * again whatever the queue lost (Redis flushed or restarted). With --follow it keeps reading
 * growing, rotated and new files until stopped. Both read a file the same way (tail.ts).
 */
import type pg from 'pg';
import { Backoff } from '../core/backoff.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { NoMetrics, type Metrics } from '../metrics/metrics.js';
import { wait } from '../core/wait.js';
import { chunkBytesFor, encodeChunk, type Chunk } from '../queue/chunk.js';
import type { ChunkQueue } from '../queue/types.js';
import { poolWhere, retrying } from '../store/db.js';
import {
  commitStates, openInputErrors, recordInputError, recordProgress, registerFile, resolveInputError, resumePoint,
} from '../store/files.js';
import { discover, type InputProblem, type InputSelection } from './discover.js';
import { follow } from './follow.js';
import { openSource } from './source.js';
import { FileTail } from './tail.js';

/** Nothing committed for this long while the queue is empty: its messages were lost. */
const STALL_MS = 2_000;
const PROGRESS_MS = 1_000;
/** How often a reader waiting on processors says so. */
const WAITING_LOG_MS = 10_000;

export interface ReaderOptions {
  /** Files, directories or globs to read instead of config.inputs / config.logDir. */
  paths?: string[];
}

export class Reader {
  /** The queue's contents epoch when last looked at: a new one means it lost what it held. */
  private epoch = '';
  readonly abort = new AbortController();
  published = 0;
  /** Compressed bytes of the messages published (header + body), for the benchmark. */
  publishedBytes = 0;
  republished = 0;
  /** Inputs that could not be read (this run, or this follow session). */
  readonly failed: InputProblem[] = [];
  private failedPaths = new Map<string, string>();
  private erroredBefore = new Set<string>();

  constructor(
    readonly pool: pg.Pool,
    private readonly queue: ChunkQueue,
    readonly config: Config,
    readonly log: Logger,
    private readonly opts: ReaderOptions = {},
    private readonly metrics: Metrics = new NoMetrics(),
  ) {}

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Stop reading and publishing (a publish waiting on backpressure gives up). Safe twice. */
  stop(): void {
    this.abort.abort();
  }

  /** What to read: the paths given, else the `inputs` setting, else LOG_DIR. */
  selection(): InputSelection {
    const roots = this.opts.paths?.length ? this.opts.paths : this.config.inputs?.length ? this.config.inputs : [this.config.logDir];
    return { roots, include: this.config.input.include, exclude: this.config.input.exclude };
  }

  async run(): Promise<void> {
    // Fails on a missing input before anything is published (a configuration error).
    const first = await discover(this.selection());
    this.epoch = await this.queue.contentsEpoch();
    this.erroredBefore = new Set((await this.db('input errors', () => openInputErrors(this.pool))).map((e) => e.path));
    if (this.config.reader.follow) return follow(this, first);
    for (const p of first.problems) await this.inputFailed(p);
    const targets = new Map<number, number>();
    const seen = new Set<number>();
    for (const path of first.files) {
      if (this.stopped) return;
      const tail = await this.openTail(path, seen);
      if (!(tail instanceof FileTail)) continue;
      await this.pass(tail);
      targets.set(tail.id, tail.linesRead);
    }
    if (targets.size === 0 && !this.stopped) this.log.info({ files: first.files.length }, 'nothing new to read: every file is as it was when last read');
    await this.waitUntilCommitted(targets);
  }

  /** A database call that waits out a PostgreSQL restart instead of failing the reader. */
  db<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return retrying(what, fn, this.log, this.abort.signal, this.pool, () => this.metrics.retries.inc({ target: 'postgres' }));
  }

  async inputFailed(p: InputProblem): Promise<void> {
    if (this.failedPaths.get(p.path) === p.code) return; // said once per path (follow polls again and again)
    this.failedPaths.set(p.path, p.code);
    this.failed.push(p);
    this.log.warn({ file: p.path, code: p.code }, `cannot read ${p.path}: ${p.message}`);
    await this.db('input error', () => recordInputError(this.pool, p.path, p.code, p.message));
  }

  /**
   * Opens a file where its committed data ends; null when it cannot be read (recorded), has no
   * identity yet (empty) or has nothing new; `{ sameAs }` when it is a file in `seen`, met by
   * another path (a link, a rotated name, or a copy with the same first bytes).
   */
  async openTail(path: string, seen: Set<number>, force = false): Promise<FileTail | { sameAs: number; inode: number } | null> {
    let src;
    try {
      src = await openSource(path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      await this.inputFailed({ path, code: e.code ?? 'EUNKNOWN', message: e.message });
      return null;
    }
    const close = async () => {
      await src.fh.close().catch(() => {});
      return null;
    };
    if (src.head.length === 0) return close(); // empty: no identity yet, read once it has bytes
    // New files get the chunk bounds they keep for ever; a chunk must fit in one message of the queue.
    const bounds = { maxLines: this.config.chunk.maxLines, maxBytes: chunkBytesFor(this.config.chunk.maxBytes, this.queue.maxMessageBytes) };
    const row = await this.db('register file', () => registerFile(this.pool, src.head, path, src.compressed, bounds));
    if (this.erroredBefore.delete(path) || this.failedPaths.delete(path)) await this.db('input error', () => resolveInputError(this.pool, path));
    if (seen.has(row.id)) {
      this.log.debug({ file: path, id: row.id }, 'the same file by another path: read once');
      await close();
      return { sameAs: row.id, inode: src.stat.ino };
    }
    seen.add(row.id);
    const rp = await this.db('resume point', () => resumePoint(this.pool, row.id));
    const unchanged = row.size_seen === src.stat.size && row.mtime_seen?.getTime() === Math.round(src.stat.mtimeMs);
    if (!force && unchanged && rp.committedLines >= row.lines_read) return close();
    let lastProgress = Date.now();
    const tail: FileTail = new FileTail(
      src, row, rp,
      { maxLineBytes: this.config.chunk.maxLineBytes, settleMs: this.config.input.settleMs, meta: this.chunkMeta() },
      async (chunk) => {
        const ok = await this.publish(chunk);
        if (ok && Date.now() - lastProgress > PROGRESS_MS) {
          lastProgress = Date.now();
          await this.db('file progress', () => recordProgress(this.pool, tail.id, tail.progress(true)));
        }
        return ok;
      },
    );
    this.log.info({ file: path, id: row.id, resumeAt: rp.offset, line: rp.line, compressed: src.compressed }, 'reading');
    return tail;
  }

  private chunkMeta() {
    const { timezone, year } = this.config.input;
    return { ...(timezone !== 'UTC' ? { tz: timezone } : {}), ...(year !== undefined ? { year } : {}) };
  }

  /** One batch pass over a file: what it holds now, the last line if settled, then closed. */
  async pass(tail: FileTail): Promise<void> {
    try {
      await this.db('file progress', () => recordProgress(this.pool, tail.id, tail.progress(true)));
      try {
        await tail.readAvailable(() => this.stopped);
      } catch (err) {
        // Unreadable part way (EIO, a corrupt gzip): what was read stands; the rest is reported.
        const e = err as NodeJS.ErrnoException;
        await this.inputFailed({ path: tail.path, code: e.code ?? 'EIO', message: e.message });
      }
      if (this.stopped) return;
      const held = await tail.settle(tail.compressed);
      await tail.flush();
      if (held > 0) {
        this.log.info({ file: tail.path, bytes: held }, 'last line has no newline yet: held back until the file has not changed for input.settleMs');
      }
      await this.db('file progress', () => recordProgress(this.pool, tail.id, tail.progress(false)));
    } finally {
      await tail.close();
    }
  }

  private async publish(chunk: Chunk): Promise<boolean> {
    const message = await encodeChunk(chunk, this.config.queue.codec);
    for (const backoff = new Backoff(); ; ) {
      try {
        await this.queue.publish(message, this.abort.signal);
        break;
      } catch (err) {
        if (this.stopped) return false;
        this.metrics.retries.inc({ target: 'queue' });
        this.log.warn({ err: (err as Error).message, queue: this.queue.where, retryInMs: backoff.nextMs }, 'queue unreachable, retrying');
        await backoff.wait(this.abort.signal);
      }
    }
    this.metrics.chunksPublished.inc();
    this.metrics.linesRead.inc(chunk.lineCount);
    this.published++;
    this.publishedBytes += Buffer.byteLength(message.header) + message.body.length;
    return true;
  }

  /** Waits until every file's lines up to `targets` are committed, republishing what the queue lost. */
  private async waitUntilCommitted(targets: Map<number, number>): Promise<void> {
    const ids = [...targets.keys()];
    let committedBefore = -1;
    let lastProgress = Date.now();
    let lastSaid = Date.now();
    while (!this.stopped && ids.length) {
      const states = await this.db('commit check', () => commitStates(this.pool, ids));
      const incomplete = states.filter((f) => f.committed < targets.get(f.id)!);
      if (incomplete.length === 0) return;
      const committed = states.reduce((a, f) => a + f.committed, 0);
      if (committed !== committedBefore) {
        committedBefore = committed;
        lastProgress = Date.now();
      }
      if (Date.now() - lastSaid >= WAITING_LOG_MS) {
        lastSaid = Date.now();
        const waiting = incomplete.reduce((a, f) => a + targets.get(f.id)! - f.committed, 0);
        const q = await this.queue.stats().catch(() => null);
        this.log.info(
          { files: incomplete.length, lines: waiting, queue: this.queue.where, depth: q?.depth, pending: q?.pending, postgres: poolWhere(this.pool) },
          Date.now() - lastProgress >= WAITING_LOG_MS
            ? 'waiting for processors: nothing committed for 10 s (is a processor running on this queue and database?)'
            : 'waiting for processors to commit what was read',
        );
      }
      let lost = false;
      try {
        const epoch = await this.queue.contentsEpoch();
        lost = epoch !== this.epoch;
        this.epoch = epoch;
        if (!lost && Date.now() - lastProgress > STALL_MS) lost = (await this.queue.stats()).depth === 0;
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'queue unreachable while waiting for commits');
      }
      if (lost) {
        this.log.warn({ files: incomplete.length }, 'queue lost messages (flushed or restarted?): publishing uncommitted chunks again');
        const before = this.published;
        for (const f of incomplete) {
          const tail = await this.openTail(f.path, new Set(), true);
          if (tail instanceof FileTail) await this.pass(tail);
        }
        this.republished += this.published - before;
        lastProgress = Date.now();
      }
      await wait(200, this.abort.signal);
    }
  }
}
