/**
 * The queue contract: what the reader and the processors need from a queue, and what a backend
 * declares to be one (src/queue/registry.ts lists them). Every backend passes the same
 * conformance suite (test/integration/queue-conformance.test.ts).
 *
 * The guarantees asked of a backend are small, because the ledger in PostgreSQL carries
 * exactly-once: at-least-once delivery (a message received and not acknowledged comes back,
 * to someone, after `claimIdleMs`), a bounded length (publish waits at the limit rather than
 * drop), and a way to tell that the queue lost what it held (contentsEpoch).
 */
import * as z from 'zod/mini';
import { CODECS, type EncodedChunk } from './chunk.js';

export interface Delivery {
  /** Backend-specific id, used to acknowledge. */
  id: string;
  message: EncodedChunk;
  /** 1 for a first delivery; more when the message came back unacknowledged. */
  attempt: number;
}

export interface QueueStats {
  /** Messages in the queue (not yet acknowledged). */
  depth: number;
  /** Delivered to a processor, not yet acknowledged. */
  pending: number;
  /** Never delivered yet. */
  lag: number;
  /** Consumers asking for messages now or lately (null: the backend cannot tell). */
  consumers: number | null;
}

export interface ChunkQueue {
  /** The backend's name in the registry (`memory`, `redis`, `nats`). */
  readonly backend: string;
  /** Where it is, for logs and messages (never with a password). */
  readonly where: string;
  /** Largest message the backend takes (header and body), or null for no practical limit. */
  readonly maxMessageBytes: number | null;
  /** Resolves when the queue answers (readiness); rejects with why not. */
  ping(): Promise<void>;
  /** Adds a message; waits while the queue is at its maximum length (backpressure). Rejects once `signal` aborts. */
  publish(message: EncodedChunk, signal?: AbortSignal): Promise<void>;
  /**
   * Up to `max` messages: ones left unacknowledged by a consumer for `claimIdleMs` first, then
   * new ones; waits up to `blockMs` for the first, and returns [] if none came.
   */
  receive(max: number): Promise<Delivery[]>;
  /**
   * A receive() waiting for messages returns [] now, and later ones at once: the consumer is
   * stopping (a SIGTERM should not wait out the blocking read). Safe to call twice.
   */
  interrupt(): void;
  /** Acknowledge (and remove) messages whose rows are committed. */
  ack(ids: string[]): Promise<void>;
  stats(): Promise<QueueStats>;
  /**
   * The queue server's own CPU seconds so far, where the server tells its clients (Redis: INFO
   * cpu); absent or null where it does not. The benchmark counts the queue's cost with it.
   */
  serverCpuSeconds?(): Promise<number | null>;
  /**
   * A token naming what the queue holds now: it changes when the backend lost its contents
   * (a Redis flushed or restarted without persistence, a stream deleted). The reader compares
   * tokens to know when to publish uncommitted chunks again.
   */
  contentsEpoch(): Promise<string>;
  /** Removes the queue and everything in it (a benchmark's or a test's reset; never in production paths). */
  destroy(): Promise<void>;
  /** Closes connections; safe to call twice. */
  close(): Promise<void>;
}

/** Settings every backend shares (`queue.*` in the configuration). */
export const QueueCommonSettings = z.object({
  /** Names this pipeline's queue: Redis keys and NATS stream names start with it. */
  prefix: z._default(z.string().check(z.minLength(1), z.regex(/^[A-Za-z0-9:_-]+$/)), 'logpipe'),
  /** Most chunk messages the queue may hold; the reader waits beyond it (backpressure). */
  maxLength: z._default(z.int().check(z.minimum(1)), 64),
  /** Consumer group (Redis) or durable consumer (NATS) shared by all processors. */
  group: z._default(z.string().check(z.minLength(1), z.regex(/^[A-Za-z0-9_-]+$/)), 'processors'),
  /** A message unacknowledged this long (its consumer died or hangs) is delivered again, to any consumer. */
  claimIdleMs: z._default(z.int().check(z.minimum(100)), 30_000),
  /** How long a processor waits for new messages before asking again. */
  blockMs: z._default(z.int().check(z.minimum(10), z.maximum(60_000)), 1_000),
  /**
   * Deliveries after which a chunk that never got committed (it crashed every processor that
   * took it) is quarantined whole, reason `delivery_limit`, instead of coming back for ever.
   */
  maxDeliveries: z._default(z.int().check(z.minimum(1), z.maximum(1_000)), 10),
  /**
   * How chunks are compressed on the queue (CPU-s per million lines, both sides together, and
   * size; src/queue/chunk.ts): lz4 (the default: least CPU, 0.37 s, 3.3× smaller than the lines),
   * zstd (5.4× smaller for 0.77 s: fewer bytes in Redis and fewer billed SQS units), deflate (4.7×,
   * 1.0 s: what readers before codecs wrote), none (no CPU, all the bytes through the queue).
   */
  codec: z._default(z.enum(CODECS), 'lz4'),
  /** A file holding the queue's password (instead of one in the URL). */
  passwordFile: z.optional(z.string().check(z.minLength(1))),
});
export type QueueCommon = z.infer<typeof QueueCommonSettings>;

export interface OpenOptions<S> {
  /** The backend's URL (absent for a backend without one). */
  url: string | undefined;
  /** The password, from queue.passwordFile, when it is not in the URL. */
  password?: string;
  common: QueueCommon;
  /** The backend's own settings (`queue.<name>`), validated by its schema. */
  settings: S;
  /** This consumer's name, unique per process. */
  consumer: string;
  connectTimeoutMs: number;
}

/**
 * A queue backend: a folder under src/queue/ and one line in registry.ts. The configuration,
 * `logpipe config`, the error messages and the docs are derived from this declaration.
 */
export interface QueueBackend<S extends z.ZodMiniType = z.ZodMiniType> {
  name: string;
  /** What it is, in a few words (`Redis Streams`). */
  title: string;
  /** URL schemes that select it (`redis:`); empty for a backend without a URL. */
  schemes: readonly string[];
  /** The environment variable its URL is usually given in (REDIS_URL). */
  urlEnv?: string;
  /** Reachable from other processes: reader and processors may run apart (false: `run` only). */
  shared: boolean;
  /** Its own settings, under queue.<name>; every key needs a default. */
  settings: S;
  open(o: OpenOptions<z.infer<S>>): ChunkQueue;
}
