/**
 * Parsing off the event loop. Decoding and parsing a chunk is pure CPU (milliseconds per chunk);
 * done on the processor's main thread it delayed every PostgreSQL and Redis reply behind it, so
 * one batch's COPY and COMMIT waited while the next batch parsed. Worker threads parse; the main
 * thread only moves bytes. Rows come back as transferred buffers, not copies.
 */
import { existsSync } from 'node:fs';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from '../core/logger.js';
import { threadCpuSeconds } from '../core/usage.js';
import type { ParseThreadUsage } from '../metrics/metrics.js';
import { BadChunk, type EncodedChunk } from '../queue/chunk.js';
import { DEFAULT_PARSE_SETTINGS, type ParseSettings, type PrepareMode } from './parse-chunk.js';
import { fromWire, type ParseReply, type ParseRequest, type PreparedChunk, type RecycleRequest, type ThreadHello } from './parse-wire.js';

/** The worker script next to this module: the bundle's or the compiled one. */
function workerUrl(): URL {
  const bundled = new URL('./parse-worker.mjs', import.meta.url);
  return existsSync(bundled) ? bundled : new URL('./parse-worker.js', import.meta.url);
}

interface Pending {
  resolve(v: PreparedChunk): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Its thread id, once it has said (null where /proc does not tell). */
  tid: number | null;
  /** Its busy and CPU seconds when last read: an exited thread reads as nothing, so these stay. */
  busy: number;
  cpu: number;
}

/** More thread deaths than this within DEATH_WINDOW_MS: the script itself is broken; stop. */
const MAX_DEATHS = 3;
const DEATH_WINDOW_MS = 10_000;

export class ParsePool {
  private readonly threads: Thread[] = [];
  private nextId = 0;
  private nextRecycle = 0;
  private closed = false;
  private deaths: number[] = [];
  /** What threads that died had spent, as last read. */
  private readonly retired = { busy: 0, cpu: 0 };
  /** A thread has told its id, so threads' CPU can be read here (Linux). */
  private cpuReadable = false;
  /** Set when threads keep dying: every parse fails with it (the processor stops) rather than respawn forever. */
  private broken: Error | null = null;

  constructor(
    size: number,
    private readonly log: Logger,
    private readonly script: URL = workerUrl(),
    /** What every thread parses with (the database's watched ports, the COPY format). */
    private readonly settings: ParseSettings = DEFAULT_PARSE_SETTINGS,
    /** Each thread's V8 young generation in MB (processor.parseYoungGenerationMb); V8's default when unset. */
    private readonly youngGenerationMb?: number,
  ) {
    for (let i = 0; i < size; i++) this.threads.push(this.start());
  }

  private start(): Thread {
    const resourceLimits = this.youngGenerationMb ? { maxYoungGenerationSizeMb: this.youngGenerationMb } : undefined;
    const t: Thread = { worker: new Worker(this.script, { workerData: { settings: this.settings }, resourceLimits }), pending: new Map(), tid: null, busy: 0, cpu: 0 };
    t.worker.unref(); // an idle parse thread never keeps the process alive
    t.worker.on('message', (reply: ParseReply | ThreadHello) => {
      if ('hello' in reply) {
        t.tid = reply.hello.tid;
        if (t.tid !== null) this.cpuReadable = true;
        return;
      }
      const p = t.pending.get(reply.id);
      if (!p) return;
      t.pending.delete(reply.id);
      if (reply.ok) p.resolve(fromWire(reply));
      else p.reject(reply.badChunk ? new BadChunk(reply.error) : new Error(reply.error));
    });
    // A thread that dies (out of memory, a bug) fails what it held; a fresh one takes its place,
    // unless they keep dying.
    const failed = (err: Error) => {
      for (const p of t.pending.values()) p.reject(err);
      t.pending.clear();
      const i = this.threads.indexOf(t);
      if (i === -1 || this.closed || this.broken) return;
      this.retired.busy += t.busy;
      this.retired.cpu += t.cpu;
      const now = Date.now();
      this.deaths = [...this.deaths.filter((d) => now - d < DEATH_WINDOW_MS), now];
      if (this.deaths.length > MAX_DEATHS) {
        this.broken = new Error(`parse threads keep dying (${this.deaths.length} in ${DEATH_WINDOW_MS / 1000} s), last: ${err.message}`);
        this.log.error({ err: err.message }, 'parse threads keep dying; giving up');
        return;
      }
      this.log.error({ err: err.message }, 'parse thread died; starting another');
      this.threads[i] = this.start();
    };
    t.worker.on('error', failed);
    t.worker.on('exit', (code) => failed(new Error(`parse thread exited with code ${code}`)));
    return t;
  }

  /**
   * Decodes and prepares one message on the least busy thread (parsed, or with `mode` its
   * uncommitted lines, or every line quarantined). Rejects with BadChunk if it is not a logpipe chunk.
   */
  prepare(message: EncodedChunk, mode: PrepareMode = { kind: 'parse' }): Promise<PreparedChunk> {
    if (this.closed) return Promise.reject(new Error('parse pool closed'));
    if (this.broken) return Promise.reject(this.broken);
    const t = this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      t.pending.set(id, { resolve, reject });
      // The body is often a view into a larger buffer (a socket read), which a plain postMessage
      // would clone whole: copy just its bytes and move them.
      const body = new Uint8Array(message.body);
      t.worker.postMessage({ id, header: message.header, body, mode } satisfies ParseRequest, [body.buffer]);
    });
  }

  /**
   * Moves committed rows' segments back to a parse thread, which writes the next chunks into
   * them. The caller must be done with every row in them: they are detached here (empty).
   */
  recycle(segments: ArrayBuffer[]): void {
    if (segments.length === 0 || this.closed || this.broken) return;
    const t = this.threads[this.nextRecycle++ % this.threads.length];
    t.worker.postMessage({ recycle: segments } satisfies RecycleRequest, segments);
  }

  /**
   * What the threads have spent so far, never decreasing (a thread that died counts as last
   * read): busy, their event loops' active time (decoding, parsing, their own start, and any wait
   * for a core while doing so); CPU, their own CPU time (Linux).
   */
  usage(): ParseThreadUsage {
    const sum = { ...this.retired };
    for (const t of this.threads) {
      t.busy = Math.max(t.busy, t.worker.performance.eventLoopUtilization().active / 1000);
      // A thread that has not said its id yet (a replacement starting) adds nothing until it has.
      if (t.tid !== null) t.cpu = Math.max(t.cpu, threadCpuSeconds(t.tid) ?? 0);
      sum.busy += t.busy;
      sum.cpu += t.cpu;
    }
    return { busySeconds: sum.busy, cpuSeconds: this.cpuReadable ? sum.cpu : null };
  }

  /** Each thread's V8 limits, as the threads have them (for tests). */
  resourceLimits(): (ResourceLimits | undefined)[] {
    return this.threads.map((t) => t.worker.resourceLimits);
  }

  /** Stops the threads; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
