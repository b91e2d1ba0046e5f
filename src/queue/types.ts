/** What reader and processor need from a queue; Redis Streams and the in-process queue provide it. */
import type { EncodedChunk } from './chunk.js';

export interface Delivery {
  /** Queue-specific message id, used to acknowledge. */
  id: string;
  message: EncodedChunk;
}

export interface QueueStats {
  /** Messages in the queue (not yet acknowledged). */
  depth: number;
  /** Delivered to a processor, not yet acknowledged. */
  pending: number;
  /** Never delivered yet. */
  lag: number;
}

export interface ChunkQueue {
  readonly kind: 'redis' | 'memory';
  /** Where it is, for logs and messages (never with a password). */
  readonly where: string;
  /** Resolves when the queue answers (readiness); rejects with why not. */
  ping(): Promise<void>;
  /** Adds a message; waits while the queue is at its maximum length (backpressure). */
  publish(message: EncodedChunk, signal?: AbortSignal): Promise<void>;
  /** Up to `max` messages: claimed ones of dead consumers first, then new ones; [] after a wait. */
  receive(max: number): Promise<Delivery[]>;
  /**
   * A receive() waiting for messages returns [] now, and later ones at once: the consumer is
   * stopping (a SIGTERM should not wait out the blocking read). Safe to call twice.
   */
  interrupt(): void;
  /** Acknowledge (and delete) messages whose rows are committed. */
  ack(ids: string[]): Promise<void>;
  stats(): Promise<QueueStats>;
  /**
   * Whether the queue may have lost messages since `token` (Redis flushed or restarted).
   * `marker()` returns the current token, creating it if needed.
   */
  marker(): Promise<string>;
  close(): Promise<void>;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
