/**
 * Chunks on a NATS JetStream stream: file-backed (it survives a NATS restart, and with replicas a
 * node's loss), work-queue retention (a message is gone once acknowledged), `maxLength` messages
 * at most with new ones refused at the limit (the reader waits: backpressure). All processors
 * share one durable pull consumer; a message is acknowledged after its rows are committed, and
 * one left unacknowledged for `claimIdleMs` (the consumer's ack wait) is delivered again.
 *
 * Messages are pulled on one inbox per handle that lives as long as the handle, so nothing the
 * server sends is ever dropped on the way (a pull request may outlive the wait for it): what
 * arrives waits in `buffer` for the next receive(), and is given back (NAK) on close.
 */
import type { JetStreamManager, JsMsg, Msg, NatsConnection, StreamConfig, Subscription } from 'nats';
import * as z from 'zod/mini';
import { redactUrl } from '../../core/redact.js';
import { wait } from '../../core/wait.js';
import type { EncodedChunk } from '../chunk.js';
import type { ChunkQueue, Delivery, OpenOptions, QueueBackend, QueueCommon, QueueStats } from '../types.js';
import { connectOptions } from './connect.js';
import { isStreamFull, natsErrorCode, NATS_ERR, statusOf } from './status.js';

export const NatsSettings = z.strictObject({
  /** Copies of the stream in a JetStream cluster (1 on a single server; 3 survives a node's loss). */
  replicas: z._default(z.int().check(z.minimum(1), z.maximum(5)), 1),
  /** Where the server keeps the stream: `file` survives its restart, `memory` does not. */
  storage: z._default(z.enum(['file', 'memory']), 'file'),
  /** Bytes the stream may hold at most (a second bound besides queue.maxLength); -1: none. */
  maxBytes: z._default(z.int().check(z.minimum(-1)), 1024 ** 3),
});
type Settings = z.infer<typeof NatsSettings>;

/** The chunk header travels as a message header; the compressed lines are the body. */
const CHUNK_HEADER = 'Logpipe-Chunk';
type Client = typeof import('./client.js');
let client: Promise<Client> | null = null;
const loadClient = () => (client ??= import('./client.js'));

class NatsQueue implements ChunkQueue {
  readonly backend = 'nats';
  readonly where: string;
  /** The server's max_payload (1 MiB by default), known once connected. */
  maxMessageBytes: number | null = 1024 * 1024;
  private readonly stream: string;
  private readonly subject: string;
  private readonly durable: string;
  private nc: Promise<NatsConnection> | null = null;
  /** The client library, once connected (every method that uses it connects first). */
  private lib!: Client;
  private jsm: JetStreamManager | null = null;
  private ready = false;
  private inbox: { subject: string; sub: Subscription } | null = null;
  /** Messages the server sent that no receive() has returned yet. */
  private buffer: JsMsg[] = [];
  /** Delivered and not yet acknowledged, by id. */
  private readonly held = new Map<string, JsMsg>();
  /** Wakes a receive() waiting on the inbox (a message, a status, or interrupt). */
  private wake: (() => void) | null = null;
  /** Messages the pull request in progress may still bring; 0 once it is over (filled, or its status came). */
  private awaiting = 0;
  private interrupted = false;
  private closed = false;
  private readonly o: QueueCommon;

  constructor(private readonly open: OpenOptions<Settings>) {
    this.o = open.common;
    // Stream names may not hold '.', '*', '>' or path separators; prefixes may hold ':'.
    const base = open.common.prefix.replace(/:/g, '_');
    this.stream = `${base}_chunks`;
    this.subject = `${base}.chunks`;
    this.durable = open.common.group;
    this.where = `${redactUrl(open.url)} (stream ${this.stream})`;
  }

  /** Connects once (a failed attempt is tried again), then reconnects for ever; never after close(), which nothing would follow to close it. */
  private connection(): Promise<NatsConnection> {
    if (this.closed) return Promise.reject(new Error(`queue ${this.where} is closed`));
    if (!this.nc) {
      this.nc = loadClient().then(async (lib) => {
        this.lib = lib;
        const nc = await lib.connect(connectOptions(this.open.url!, `logpipe ${this.open.consumer}`, this.open.connectTimeoutMs, this.open.password));
        this.maxMessageBytes = nc.info?.max_payload ?? this.maxMessageBytes;
        return nc;
      });
      this.nc.catch(() => (this.nc = null));
    }
    return this.nc;
  }

  private async manager(): Promise<JetStreamManager> {
    const nc = await this.connection();
    // Fails at once on a server without JetStream: the message names it.
    this.jsm ??= await nc.jetstreamManager();
    return this.jsm;
  }

  async ping(): Promise<void> {
    const nc = await this.connection();
    await this.manager();
    await nc.flush();
  }

  /** The stream and the consumer, created or brought to the configured limits. */
  private async ensure(): Promise<void> {
    if (this.ready) return;
    const jsm = await this.manager();
    const { AckPolicy, DeliverPolicy, DiscardPolicy, nanos, RetentionPolicy, StorageType } = this.lib;
    const { replicas, storage, maxBytes } = this.open.settings;
    const want: Partial<StreamConfig> = {
      name: this.stream, subjects: [this.subject], retention: RetentionPolicy.Workqueue, discard: DiscardPolicy.New,
      storage: storage === 'file' ? StorageType.File : StorageType.Memory, num_replicas: replicas, max_msgs: this.o.maxLength, max_bytes: maxBytes,
    };
    try {
      const info = await jsm.streams.info(this.stream);
      const c = info.config;
      if (c.storage !== want.storage) throw new Error(`stream ${this.stream} keeps its messages in ${c.storage} storage, queue.nats.storage says ${storage}: delete the stream or change the setting`);
      if (c.max_msgs !== want.max_msgs || c.max_bytes !== want.max_bytes || c.num_replicas !== want.num_replicas) {
        await jsm.streams.update(this.stream, { ...c, max_msgs: want.max_msgs, max_bytes: want.max_bytes, num_replicas: want.num_replicas });
      }
    } catch (err) {
      if (natsErrorCode(err) !== NATS_ERR.STREAM_NOT_FOUND) throw err;
      await jsm.streams.add(want);
    }
    const consumer = {
      durable_name: this.durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: this.subject,
      ack_wait: nanos(this.o.claimIdleMs),
      // Deliveries are not capped by the server (it would then leave the message in the stream for
      // ever): the processor quarantines a chunk after queue.maxDeliveries itself.
      max_deliver: -1, max_ack_pending: -1,
    };
    try {
      const info = await jsm.consumers.info(this.stream, this.durable);
      if (info.config.ack_wait !== consumer.ack_wait) await jsm.consumers.update(this.stream, this.durable, { ack_wait: consumer.ack_wait });
    } catch (err) {
      if (natsErrorCode(err) !== NATS_ERR.CONSUMER_NOT_FOUND) throw err;
      await jsm.consumers.add(this.stream, consumer);
    }
    this.ready = true;
  }

  async publish(message: EncodedChunk, signal?: AbortSignal): Promise<void> {
    const nc = await this.connection();
    await this.ensure();
    const h = this.lib.headers();
    h.set(CHUNK_HEADER, message.header);
    const size = message.body.length + message.header.length + CHUNK_HEADER.length + 16;
    if (this.maxMessageBytes !== null && size > this.maxMessageBytes) {
      throw new Error(`a chunk of ${size} bytes exceeds the NATS server's max_payload of ${this.maxMessageBytes} bytes (lower chunk.maxBytes)`);
    }
    for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
      if (signal?.aborted) throw new Error('publish aborted');
      try {
        await nc.jetstream().publish(this.subject, message.body, { headers: h, expect: { streamName: this.stream } });
        return;
      } catch (err) {
        if (isStreamFull(err)) {
          await wait(pause, signal); // at queue.maxLength: wait for acknowledgements
          continue;
        }
        const code = natsErrorCode(err);
        if (code === NATS_ERR.NO_RESPONDERS || code === NATS_ERR.STREAM_NOT_FOUND) this.ready = false; // deleted: made again next time
        throw err;
      }
    }
  }

  /** The handle's own inbox, where every pulled message arrives. */
  private async ensureInbox(): Promise<string> {
    if (this.inbox) return this.inbox.subject;
    const nc = await this.connection();
    const subject = this.lib.createInbox();
    const sub = nc.subscribe(subject, { callback: (err, m) => this.arrived(err, m) });
    this.inbox = { subject, sub };
    return subject;
  }

  private arrived(err: Error | null, m: Msg): void {
    if (!err) {
      const status = statusOf(m);
      if (status === null) {
        this.buffer.push(this.lib.toJsMsg(m));
        this.awaiting = Math.max(0, this.awaiting - 1);
      } else {
        // 404 no messages, 408 expired: that request is over. 409 (consumer deleted) or 503 (no
        // stream): made again by the next receive.
        this.awaiting = 0;
        if (status.code === 409 || status.code === 503) this.ready = false;
      }
    }
    this.wake?.();
  }

  /**
   * Sends a pull request for `batch` messages and waits until it is over (`expiresMs` 0: what is
   * there now) or, for a waiting one, until a first message arrives; or until interrupt().
   */
  private async pull(batch: number, expiresMs: number): Promise<void> {
    const nc = await this.connection();
    const inbox = await this.ensureInbox();
    this.awaiting = batch;
    const request = expiresMs > 0 ? { batch, expires: this.lib.nanos(expiresMs) } : { batch, no_wait: true };
    nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${this.stream}.${this.durable}`, new TextEncoder().encode(JSON.stringify(request)), { reply: inbox });
    // A request ends with a status; a lost one (a reconnect) is given up after its expiry.
    const giveUp = Date.now() + expiresMs + 2_000;
    const over = () => this.awaiting === 0 || (expiresMs > 0 && this.buffer.length > 0);
    while (!over() && !this.interrupted && Date.now() < giveUp) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 500);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  async receive(max: number): Promise<Delivery[]> {
    if (this.interrupted) return [];
    await this.ensure();
    // What is there now, then (if nothing) wait for one; the server may send more, kept for the next call.
    if (this.buffer.length === 0) await this.pull(max, 0);
    if (this.buffer.length === 0 && !this.interrupted) await this.pull(1, Math.max(this.o.blockMs, 1_000));
    if (this.interrupted) return [];
    const out: Delivery[] = [];
    for (const m of this.buffer.splice(0, max)) {
      const id = String(m.info.streamSequence);
      this.held.set(id, m);
      out.push({ id, message: { header: m.headers?.get(CHUNK_HEADER) ?? '', body: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength) }, attempt: m.info.deliveryCount });
    }
    return out;
  }

  async ack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) {
      this.held.get(id)?.ack();
      this.held.delete(id);
    }
    await (await this.connection()).flush(); // the acknowledgements have reached the server
  }

  async stats(): Promise<QueueStats> {
    const jsm = await this.manager();
    try {
      const s = await jsm.streams.info(this.stream);
      const c = await jsm.consumers.info(this.stream, this.durable).catch(() => null);
      return { depth: s.state.messages, pending: c?.num_ack_pending ?? 0, lag: c?.num_pending ?? s.state.messages, consumers: c?.num_waiting ?? 0 };
    } catch (err) {
      if (natsErrorCode(err) === NATS_ERR.STREAM_NOT_FOUND) return { depth: 0, pending: 0, lag: 0, consumers: 0 };
      throw err;
    }
  }

  /** The stream's creation time: a stream deleted and made again (or lost with a memory store) is another. */
  async contentsEpoch(): Promise<string> {
    const jsm = await this.manager();
    try {
      return (await jsm.streams.info(this.stream)).created;
    } catch (err) {
      if (natsErrorCode(err) !== NATS_ERR.STREAM_NOT_FOUND) throw err;
      this.ready = false; // lost: made again now, so that what is published again has somewhere to go
      await this.ensure();
      return (await jsm.streams.info(this.stream)).created;
    }
  }

  async destroy(): Promise<void> {
    const jsm = await this.manager();
    await jsm.streams.delete(this.stream).catch((err) => {
      if (natsErrorCode(err) !== NATS_ERR.STREAM_NOT_FOUND) throw err;
    });
    this.ready = false;
  }

  interrupt(): void {
    this.interrupted = true;
    this.wake?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.interrupt();
    if (!this.nc) return;
    const nc = await this.nc.catch(() => null);
    if (!nc) return;
    // Received and not handed out: back to the stream at once, not after the ack wait.
    for (const m of this.buffer.splice(0)) m.nak();
    await nc.close().catch(() => {});
  }
}

export const natsBackend: QueueBackend<typeof NatsSettings> = {
  name: 'nats',
  title: 'NATS JetStream',
  schemes: ['nats:', 'tls:'],
  urlEnv: 'NATS_URL',
  shared: true,
  settings: NatsSettings,
  open: (o) => new NatsQueue(o),
};
