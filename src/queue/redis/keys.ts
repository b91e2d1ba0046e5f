/**
 * Every Redis key logpipe uses is built here. None contains "queue": the seed's benchmark reads
 * keys named like that as lists, and logpipe's stream must not confuse it.
 */
import type { Redis } from 'ioredis';

export interface QueueKeys {
  /** The stream of chunk messages. */
  stream: string;
  /** A random token set by the reader: if it vanishes, Redis lost its data (flush, restart). */
  epoch: string;
}

/** Deletes every key under `prefix` (a reset of one pipeline's queue; never FLUSHDB). */
export async function deletePrefixedKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export function queueKeys(prefix: string): QueueKeys {
  return { stream: `${prefix}:chunks`, epoch: `${prefix}:epoch` };
}
