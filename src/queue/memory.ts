/**
 * The in-process queue `run` uses without Redis: bounded, with the same backpressure. Nothing
 * survives the process, and nothing needs to: the ledger in PostgreSQL is what a restart
 * resumes from.
 */
import type { EncodedChunk } from './chunk.js';
import { sleep, type ChunkQueue, type Delivery, type QueueStats } from './types.js';

export class MemoryQueue implements ChunkQueue {
  readonly kind = 'memory' as const;
  readonly where = 'in-process';
  private readonly items: Delivery[] = [];
  private inFlight = 0;
  private nextId = 0;
  private readonly token = String(Date.now());
  private waiters: (() => void)[] = [];
  private interrupted = false;

  constructor(
    private readonly maxLength: number,
    private readonly blockMs = 1000,
  ) {}

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async publish(message: EncodedChunk, signal?: AbortSignal): Promise<void> {
    while (this.items.length + this.inFlight >= this.maxLength) {
      if (signal?.aborted) throw new Error('publish aborted');
      await this.waitForChange(250);
    }
    this.items.push({ id: String(++this.nextId), message });
    this.wake();
  }

  async receive(max: number): Promise<Delivery[]> {
    if (this.items.length === 0 && !this.interrupted) await this.waitForChange(this.blockMs);
    const got = this.items.splice(0, max);
    this.inFlight += got.length;
    return got;
  }

  interrupt(): void {
    this.interrupted = true;
    this.wake();
  }

  async ack(ids: string[]): Promise<void> {
    this.inFlight -= ids.length;
    this.wake();
  }

  async stats(): Promise<QueueStats> {
    return { depth: this.items.length + this.inFlight, pending: this.inFlight, lag: this.items.length };
  }

  async ping(): Promise<void> {}

  async marker(): Promise<string> {
    return this.token;
  }

  async close(): Promise<void> {
    this.wake();
    await sleep(0);
  }
}
