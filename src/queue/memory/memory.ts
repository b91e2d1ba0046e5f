/**
 * The in-process queue `run` uses when no shared queue is configured: bounded, with the same
 * backpressure, redelivery and delivery counts as the others. Nothing survives the process, and
 * nothing needs to: the ledger in PostgreSQL is what a restart resumes from. Handles opened with
 * the same prefix in one process share one queue (the conformance suite opens several).
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import type { EncodedChunk } from '../chunk.js';
import type { ChunkQueue, Delivery, QueueBackend, QueueCommon, QueueStats } from '../types.js';

interface Held {
  id: string;
  message: EncodedChunk;
  attempt: number;
  /** When it was last delivered (ms), while unacknowledged; 0 while waiting in line. */
  deliveredAt: number;
}

/** One queue: the messages in line, those delivered and unacknowledged, and who waits for a change. */
class Store {
  readonly waiting: Held[] = [];
  readonly delivered = new Map<string, Held>();
  readonly epoch = randomBytes(8).toString('hex');
  nextId = 0;
  receivers = 0;
  private waiters: (() => void)[] = [];

  get size(): number {
    return this.waiting.length + this.delivered.size;
  }

  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves on the next change, after `ms`, or when `signal` aborts, whichever is first. */
  change(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

const STORES = new Map<string, Store>();

class MemoryQueue implements ChunkQueue {
  readonly backend = 'memory';
  readonly where = 'in-process';
  readonly maxMessageBytes = null;
  /** Aborted by interrupt(): a waiting receive returns at once. */
  private readonly stopping = new AbortController();

  constructor(private readonly o: QueueCommon) {}

  private get store(): Store {
    let s = STORES.get(this.o.prefix);
    if (!s) STORES.set(this.o.prefix, (s = new Store()));
    return s;
  }

  async ping(): Promise<void> {}

  async publish(message: EncodedChunk, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw new Error('publish aborted');
      const s = this.store;
      if (s.size < this.o.maxLength) {
        s.waiting.push({ id: String(++s.nextId), message, attempt: 0, deliveredAt: 0 });
        s.wake();
        return;
      }
      await s.change(250, signal);
    }
  }

  async receive(max: number): Promise<Delivery[]> {
    if (this.stopping.signal.aborted) return [];
    const s = this.store;
    let out = this.take(s, max);
    if (out.length === 0) {
      s.receivers++;
      try {
        await s.change(this.o.blockMs, this.stopping.signal);
      } finally {
        s.receivers--;
      }
      if (this.stopping.signal.aborted) return [];
      out = this.take(s, max);
    }
    return out.map((h) => ({ id: h.id, message: h.message, attempt: h.attempt }));
  }

  /** Messages unacknowledged for claimIdleMs first (their consumer is gone or stuck), then new ones. */
  private take(s: Store, max: number): Held[] {
    const now = Date.now();
    const out: Held[] = [];
    for (const h of s.delivered.values()) {
      if (out.length >= max) break;
      if (now - h.deliveredAt >= this.o.claimIdleMs) out.push(h);
    }
    while (out.length < max && s.waiting.length) {
      const h = s.waiting.shift()!;
      s.delivered.set(h.id, h);
      out.push(h);
    }
    for (const h of out) {
      h.attempt++;
      h.deliveredAt = now;
    }
    return out;
  }

  interrupt(): void {
    this.stopping.abort();
  }

  async ack(ids: string[]): Promise<void> {
    const s = this.store;
    for (const id of ids) s.delivered.delete(id);
    s.wake();
  }

  async stats(): Promise<QueueStats> {
    const s = this.store;
    return { depth: s.size, pending: s.delivered.size, lag: s.waiting.length, consumers: s.receivers };
  }

  async contentsEpoch(): Promise<string> {
    return this.store.epoch;
  }

  async destroy(): Promise<void> {
    STORES.get(this.o.prefix)?.wake();
    STORES.delete(this.o.prefix);
  }

  async close(): Promise<void> {
    this.interrupt();
  }
}

export const memoryBackend: QueueBackend<z.ZodMiniObject<Record<string, never>>> = {
  name: 'memory',
  title: 'in-process queue',
  schemes: [],
  shared: false,
  settings: z.strictObject({}),
  open: (o) => new MemoryQueue(o.common),
};
