/**
 * Chunks on a Redis Stream with one consumer group shared by all processors. Messages are
 * acknowledged and deleted only after their rows are committed; a message left pending by a
 * consumer that died is claimed (XAUTOCLAIM) by a living one after `claimIdleMs`. Redis without
 * persistence keeps nothing across its own restart: the reader notices (the epoch key is gone)
 * and publishes what is not committed again.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import * as z from 'zod/mini';
import { redactUrl } from '../../core/redact.js';
import { wait } from '../../core/wait.js';
import type { EncodedChunk } from '../chunk.js';
import type { ChunkQueue, Delivery, OpenOptions, QueueBackend, QueueCommon, QueueStats } from '../types.js';
import { deletePrefixedKeys, queueKeys, type QueueKeys } from './keys.js';
import { readSecret } from '../../core/secret.js';

// Adds only while the stream is shorter than the limit, atomically, so several readers together
// never exceed it. (XADD MAXLEN would trim, i.e. drop data, instead of waiting.)
const BOUNDED_XADD = `
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', 'h', ARGV[2], 'b', ARGV[3])`;

type Entry = [Buffer, Buffer[] | null];

const WAITER = 'logpipe-wait:';

class RedisStreamQueue implements ChunkQueue {
  readonly backend = 'redis';
  readonly where: string;
  readonly maxMessageBytes = null;
  private readonly keys: QueueKeys;
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
  private readonly o: QueueCommon;
  private readonly consumer: string;
  /** The client name of the blocking connection: `logpipe-wait:<prefix>:<consumer>`. */
  private readonly waiterName: string;

  constructor({ url, password, common, settings, consumer, connectTimeoutMs }: OpenOptions<RedisSettings>) {
    this.o = common;
    this.consumer = consumer;
    this.keys = queueKeys(common.prefix);
    this.waiterName = `${WAITER}${common.prefix}:${consumer.replace(/\s/g, '_')}`;
    this.where = `${redactUrl(url)} (stream ${this.keys.stream})`;
    // rediss:// is TLS (ioredis reads the scheme); a private CA comes from queue.redis.tlsCaFile.
    const tls = url!.startsWith('rediss:') && settings.tlsCaFile ? { tls: { ca: readSecret('queue.redis.tlsCaFile', settings.tlsCaFile) } } : {};
    this.redis = new Redis(url!, {
      lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: connectTimeoutMs, ...(password ? { password } : {}), ...tls,
    });
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
    for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
      if (signal?.aborted) throw new Error('publish aborted');
      const id = await this.redis.eval(BOUNDED_XADD, 1, this.keys.stream, this.o.maxLength, message.header, message.body);
      if (id !== null) return;
      await wait(pause, signal);
    }
  }

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      // From id 0: messages added before the group existed are delivered too.
      await this.redis.xgroup('CREATE', this.keys.stream, this.o.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    this.groupReady = true;
  }

  private toDeliveries(entries: Entry[], dead: string[], attempts?: Map<string, number>): Delivery[] {
    const out: Delivery[] = [];
    for (const [rawId, fields] of entries) {
      const id = rawId.toString();
      // A claimed entry whose message was deleted comes back without fields.
      if (!fields) {
        dead.push(id);
        continue;
      }
      let header = '';
      let body: Buffer | null = null;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const name = fields[i].toString();
        if (name === 'h') header = fields[i + 1].toString();
        else if (name === 'b') body = fields[i + 1];
      }
      if (!header || !body) dead.push(id);
      else out.push({ id, message: { header, body }, attempt: attempts?.get(id) ?? 1 });
    }
    return out;
  }

  /** Delivery counts of entries this consumer just claimed (XAUTOCLAIM does not return them). */
  private async attempts(ids: string[]): Promise<Map<string, number>> {
    const sorted = [...ids].sort((a, b) => compareIds(a, b));
    const rows = (await this.redis.xpending(this.keys.stream, this.o.group, sorted[0], sorted[sorted.length - 1], ids.length * 2, this.consumer)) as [string, string, number, number][];
    return new Map(rows.map(([id, , , count]) => [String(id), Number(count)]));
  }

  async receive(max: number): Promise<Delivery[]> {
    if (this.interrupted) return [];
    await this.ensureGroup();
    try {
      const dead: string[] = [];
      const now = Date.now();
      if (now - this.lastClaim >= Math.min(this.o.claimIdleMs / 2, 5000)) {
        this.lastClaim = now;
        const reply = (await this.redis.callBuffer(
          'XAUTOCLAIM', this.keys.stream, this.o.group, this.consumer, this.o.claimIdleMs, this.claimCursor, 'COUNT', max,
        )) as [Buffer, Entry[], Buffer[]?];
        this.claimCursor = reply[0].toString();
        const live = reply[1].filter(([, fields]) => fields).map(([id]) => id.toString());
        const claimed = this.toDeliveries(reply[1], dead, live.length ? await this.attempts(live) : undefined);
        if (dead.length) await this.ack(dead);
        if (claimed.length) return claimed;
      }
      if (this.interrupted) return []; // interrupted while claiming: do not start a blocking read now
      if (!this.blocking) {
        // Named, so that stats() can count the consumers waiting on this queue.
        this.blocking = this.redis.duplicate({ connectionName: this.waiterName });
        this.blocking.on('error', () => {});
      }
      const reply = (await this.blocking.callBuffer(
        'XREADGROUP', 'GROUP', this.o.group, this.consumer, 'COUNT', max, 'BLOCK', this.o.blockMs, 'STREAMS', this.keys.stream, '>',
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
    await this.redis.multi().xack(this.keys.stream, this.o.group, ...ids).xdel(this.keys.stream, ...ids).exec();
  }

  async stats(): Promise<QueueStats> {
    const depth = await this.redis.xlen(this.keys.stream);
    const out: QueueStats = { depth, pending: 0, lag: depth, consumers: 0 };
    try {
      for (const info of infoRows(await this.redis.xinfo('GROUPS', this.keys.stream))) {
        if (info.name !== this.o.group) continue;
        out.pending = Number(info.pending ?? 0);
        out.lag = info.lag === null || info.lag === undefined ? Math.max(0, depth - out.pending) : Number(info.lag);
      }
      out.consumers = (await this.consumers()).size;
    } catch {
      // no stream or group yet
    }
    return out;
  }

  serverCpuSeconds(): Promise<number | null> {
    return redisCpuSeconds(this.redis);
  }

  /**
   * Consumers waiting in XREADGROUP now (their blocking connections, by client name), and those
   * that read within the last blockMs + 2 s (busy committing what they read).
   */
  private async consumers(): Promise<Set<string>> {
    const names = new Set<string>();
    const mine = `${WAITER}${this.o.prefix}:`;
    for (const line of String(await this.redis.client('LIST')).split('\n')) {
      const name = / name=(\S+)/.exec(line)?.[1];
      if (name?.startsWith(mine) && / cmd=xreadgroup/.test(line)) names.add(name.slice(mine.length));
    }
    try {
      const recent = this.o.blockMs + 2_000;
      for (const c of infoRows(await this.redis.xinfo('CONSUMERS', this.keys.stream, this.o.group))) if (Number(c.idle) < recent) names.add(String(c.name));
    } catch {
      // no stream or group yet
    }
    return names;
  }

  async contentsEpoch(): Promise<string> {
    const token = randomBytes(8).toString('hex');
    await this.redis.set(this.keys.epoch, token, 'NX');
    return (await this.redis.get(this.keys.epoch)) ?? token;
  }

  async destroy(): Promise<void> {
    await deletePrefixedKeys(this.redis, this.o.prefix);
    this.groupReady = false;
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

/** XINFO's replies (flat name/value lists) as objects. */
function infoRows(reply: unknown): Record<string, unknown>[] {
  return (reply as unknown[][]).map((row) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i + 1 < row.length; i += 2) o[String(row[i])] = row[i + 1];
    return o;
  });
}

/** Stream ids (`ms-seq`) in order. */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}

const RedisSettings = z.strictObject({
  /** CA certificate(s) (PEM file) a rediss:// server's certificate must chain to; unset: the system's. */
  tlsCaFile: z.optional(z.string().check(z.minLength(1))),
});
type RedisSettings = z.infer<typeof RedisSettings>;

/** The Redis server's CPU seconds so far (user + system, every thread; INFO cpu), or null if it does not say. */
export async function redisCpuSeconds(redis: Redis): Promise<number | null> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  const total = field('used_cpu_sys') + field('used_cpu_user');
  return Number.isFinite(total) ? total : null;
}

export const redisBackend: QueueBackend<typeof RedisSettings> = {
  name: 'redis',
  title: 'Redis Streams',
  schemes: ['redis:', 'rediss:'],
  urlEnv: 'REDIS_URL',
  shared: true,
  settings: RedisSettings,
  open: (o) => new RedisStreamQueue(o),
};
