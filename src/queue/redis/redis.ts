/**
 * Chunks on a Redis Stream with one consumer group shared by all processors. Messages are
 * acknowledged and deleted only after their rows are committed; a message left pending by a
 * consumer that died is claimed (XAUTOCLAIM) by a living one after `claimIdleMs`.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redactUrl } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { EncodedChunk } from './chunk.js';
import { queueKeys, type QueueKeys } from './keys.js';
import { sleep, type ChunkQueue, type Delivery, type QueueStats } from './types.js';

// Adds only while the stream is shorter than the limit, atomically, so several readers together
// never exceed it. (XADD MAXLEN would trim, i.e. drop data, instead of waiting.)
const BOUNDED_XADD = `
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', 'h', ARGV[2], 'b', ARGV[3])`;

type Entry = [Buffer, Buffer[] | null];

export class RedisStreamQueue implements ChunkQueue {
  readonly kind = 'redis' as const;
  readonly where: string;
  readonly keys: QueueKeys;
  readonly consumer: string;
  private readonly redis: Redis;
  /** A separate connection for the blocking XREADGROUP, so commands never wait behind it. */
  private blocking: Redis | null = null;
  private groupReady = false;
  private interrupted = false;
  private lastClaim = 0;
  /** The last connection error, which names the cause (ECONNREFUSED…) where a failed command only says it gave up. */
  private lastError: Error | null = null;
  private readonly db: number;
  private claimCursor = '0-0';

  constructor(
    url: string,
    private readonly opts: Config['queue'],
    consumer: string,
    connectTimeoutMs = 10_000,
  ) {
    this.keys = queueKeys(opts.prefix);
    this.consumer = consumer;
    this.where = `${redactUrl(url)} (stream ${this.keys.stream})`;
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: connectTimeoutMs });
    this.db = this.redis.options.db ?? 0;
    this.redis.on('error', (err: Error) => (this.lastError = err)); // reported where a command fails
    this.redis.on('ready', () => (this.lastError = null));
  }

  async ping(): Promise<void> {
    try {
      await this.redis.ping();
      // ioredis goes on in database 0 when selecting the URL's database fails: ask for it outright.
      if (this.db !== 0) await this.redis.select(this.db);
    } catch (err) {
      throw this.lastError ?? err;
    }
  }

  async publish(message: EncodedChunk, signal?: AbortSignal): Promise<void> {
    let wait = 20;
    for (;;) {
      const id = await this.redis.eval(BOUNDED_XADD, 1, this.keys.stream, this.opts.maxLength, message.header, message.body);
      if (id !== null) return;
      if (signal?.aborted) throw new Error('publish aborted');
      await sleep(wait, signal);
      wait = Math.min(wait * 2, 250);
    }
  }

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      // From id 0: messages added before the group existed are delivered too.
      await this.redis.xgroup('CREATE', this.keys.stream, this.opts.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    this.groupReady = true;
  }

  private toDeliveries(entries: Entry[], dead: string[]): Delivery[] {
    const out: Delivery[] = [];
    for (const [id, fields] of entries) {
      // A claimed entry whose message was deleted comes back without fields.
      if (!fields) {
        dead.push(id.toString());
        continue;
      }
      let header = '';
      let body: Buffer | null = null;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const name = fields[i].toString();
        if (name === 'h') header = fields[i + 1].toString();
        else if (name === 'b') body = fields[i + 1];
      }
      if (!header || !body) dead.push(id.toString());
      else out.push({ id: id.toString(), message: { header, body } });
    }
    return out;
  }

  async receive(max: number): Promise<Delivery[]> {
    if (this.interrupted) return [];
    await this.ensureGroup();
    try {
      const dead: string[] = [];
      const now = Date.now();
      if (now - this.lastClaim >= Math.min(this.opts.claimIdleMs / 2, 5000)) {
        this.lastClaim = now;
        const reply = (await this.redis.callBuffer(
          'XAUTOCLAIM', this.keys.stream, this.opts.group, this.consumer, this.opts.claimIdleMs, this.claimCursor, 'COUNT', max,
        )) as [Buffer, Entry[], Buffer[]?];
        const next = reply[0].toString();
        this.claimCursor = next;
        const claimed = this.toDeliveries(reply[1], dead);
        if (dead.length) await this.ack(dead);
        if (claimed.length) return claimed;
      }
      if (!this.blocking) {
        this.blocking = this.redis.duplicate();
        this.blocking.on('error', () => {});
      }
      const reply = (await this.blocking.callBuffer(
        'XREADGROUP', 'GROUP', this.opts.group, this.consumer, 'COUNT', max, 'BLOCK', this.opts.blockMs, 'STREAMS', this.keys.stream, '>',
      )) as [Buffer, Entry[]][] | null;
      if (!reply) return [];
      const got = this.toDeliveries(reply[0][1], dead);
      if (dead.length) await this.ack(dead);
      return got;
    } catch (err) {
      // Its blocking connection was closed by interrupt(). A reply Redis had already sent is
      // lost with it; those messages stay pending and are claimed after claimIdleMs.
      if (this.interrupted) return [];
      // The stream or group vanished (Redis flushed or restarted): recreate on the next call.
      if (String((err as Error).message).includes('NOGROUP')) {
        this.groupReady = false;
        return [];
      }
      throw err;
    }
  }

  async ack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.redis.multi().xack(this.keys.stream, this.opts.group, ...ids).xdel(this.keys.stream, ...ids).exec();
  }

  async stats(): Promise<QueueStats> {
    const depth = await this.redis.xlen(this.keys.stream);
    let pending = 0;
    let lag = depth;
    try {
      const groups = (await this.redis.xinfo('GROUPS', this.keys.stream)) as unknown[][];
      for (const g of groups) {
        const info: Record<string, unknown> = {};
        for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
        if (info.name === this.opts.group) {
          pending = Number(info.pending ?? 0);
          lag = info.lag === null || info.lag === undefined ? Math.max(0, depth - pending) : Number(info.lag);
        }
      }
    } catch {
      // no stream or group yet
    }
    return { depth, pending, lag };
  }

  async marker(): Promise<string> {
    const token = randomBytes(8).toString('hex');
    await this.redis.set(this.keys.epoch, token, 'NX');
    return (await this.redis.get(this.keys.epoch)) ?? token;
  }

  interrupt(): void {
    this.interrupted = true;
    // disconnect() breaks a blocking XREADGROUP at once.
    this.blocking?.disconnect();
    this.blocking = null;
  }

  async close(): Promise<void> {
    this.interrupt();
    // QUIT waits for a connection; with Redis gone, that would hold up a SIGTERM.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
