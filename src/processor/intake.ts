/**
 * A processor's intake: receives messages ahead of the commit loops and has each one parsed as
 * soon as it arrives. A loop that has just committed claims up to a batch of what has arrived,
 * most of it parsed already while the previous batch committed, instead of receiving a batch
 * and only then parsing all of it while PostgreSQL idles; the first batch is what has arrived,
 * not a full one. At most `capacity` messages are held at a time (received, parsing or parsed),
 * so memory stays bounded.
 */
import { Backoff } from '../core/backoff.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { reject } from '../logtypes/types.js';
import { BadChunk } from '../queue/chunk.js';
import type { ChunkQueue, Delivery } from '../queue/types.js';
import type { Pending } from './commit-policy.js';
import type { ParsePool } from './parse-pool.js';

/** A received message: its chunk prepared, or null when it was not a logpipe chunk (only to acknowledge). */
export interface Taken {
  id: string;
  pending: Pending | null;
}

/** A promise and the function that settles it (Promise.withResolvers, which Node 20 lacks). */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export class Intake {
  /** Parsed messages by arrival number; handed out strictly in arrival order. */
  private readonly ready = new Map<number, Taken>();
  private arrived = 0;
  private handedOut = 0;
  /** Received and not yet taken. */
  private held = 0;
  /** Of `held`, promised to callers of take() still waiting for their parses. */
  private claimed = 0;
  private nextTurn = 0;
  private serving = 0;
  private stopped = false;
  private failure: Error | null = null;
  private changed = signal();
  private readonly abort = new AbortController();

  constructor(
    private readonly queue: ChunkQueue,
    private readonly parser: ParsePool,
    private readonly capacity: number,
    /** Deliveries after which a chunk is quarantined whole instead of parsed (queue.maxDeliveries). */
    private readonly maxDeliveries: number,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Everyone waiting re-checks: something was parsed, taken, or the intake stopped. */
  private notify(): void {
    this.changed.resolve();
    this.changed = signal();
  }

  /** Stop receiving (a blocked receive returns at once); what is held is still handed out. Safe to call twice. */
  stop(): void {
    this.stopped = true;
    this.abort.abort(); // a retry's wait ends now
    this.queue.interrupt();
    this.notify();
  }

  /** The receive loop; returns once stopped. */
  async run(): Promise<void> {
    const backoff = new Backoff();
    while (!this.stopped && !this.failure) {
      const room = this.capacity - this.held;
      if (room <= 0) {
        await this.changed.promise;
        continue;
      }
      let deliveries: Delivery[];
      try {
        deliveries = await this.queue.receive(room);
        backoff.reset();
      } catch (err) {
        if (this.stopped) break;
        this.metrics.retries.inc({ target: 'queue' });
        this.log.warn({ err: (err as Error).message, queue: this.queue.where, retryInMs: backoff.nextMs }, 'queue unreachable, retrying');
        await backoff.wait(this.abort.signal);
        continue;
      }
      for (const d of deliveries) this.admit(d);
    }
  }

  private admit(d: Delivery): void {
    const seq = this.arrived++;
    this.held++;
    this.notify(); // a waiting loop claims it now, not once a later one is parsed
    // Delivered this often and never committed: every processor that took it died on it. Its
    // lines go to the quarantine (evidence kept) instead of round the queue for ever.
    const refusal = d.attempt > this.maxDeliveries
      ? reject('delivery_limit', `delivered ${d.attempt} times without being committed (queue.maxDeliveries ${this.maxDeliveries})`)
      : undefined;
    if (refusal) this.log.error({ id: d.id, attempt: d.attempt }, 'chunk delivered too often without a commit: quarantining its lines');
    this.parser.prepare(d.message, refusal ? { kind: 'quarantine', rejected: refusal } : undefined).then(
      (prepared) => this.push(seq, { id: d.id, pending: { prepared, message: d.message, refusal } }),
      (err: Error) => {
        if (!(err instanceof BadChunk)) {
          // A bug, not bad input: stop the processor rather than guess (the message stays pending).
          this.failure = err;
          this.notify();
          return;
        }
        // Not a logpipe chunk: nothing can be committed for it. The reader's completion check
        // notices the missing range and publishes it again.
        this.metrics.chunksUndecodable.inc();
        this.log.error({ id: d.id, err: err.message }, 'undecodable message dropped from the queue');
        this.push(seq, { id: d.id, pending: null });
      },
    );
  }

  private push(seq: number, t: Taken): void {
    this.ready.set(seq, t);
    this.notify();
  }

  /**
   * The next batch: up to `max` of the messages held and not claimed by an earlier caller (at
   * least one, waiting for it), in arrival order, returned once all of them are parsed. Callers
   * are served in order. [] once stopped and nothing is held. Throws if parsing failed for a
   * reason other than bad input.
   */
  async take(max: number): Promise<Taken[]> {
    while (this.held - this.claimed === 0) {
      if (this.failure) throw this.failure;
      if (this.stopped) return [];
      await this.changed.promise;
    }
    const count = Math.min(max, this.held - this.claimed);
    this.claimed += count;
    const turn = this.nextTurn++;
    while (this.serving !== turn || !this.parsedAhead(count)) {
      if (this.failure) throw this.failure;
      await this.changed.promise;
    }
    this.serving++;
    this.claimed -= count;
    this.held -= count;
    const out: Taken[] = [];
    for (let i = 0; i < count; i++) {
      out.push(this.ready.get(this.handedOut)!);
      this.ready.delete(this.handedOut++);
    }
    this.notify();
    return out;
  }

  /** Whether the next `count` messages in arrival order are all parsed. */
  private parsedAhead(count: number): boolean {
    for (let i = 0; i < count; i++) if (!this.ready.has(this.handedOut + i)) return false;
    return true;
  }
}
