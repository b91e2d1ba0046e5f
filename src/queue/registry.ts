/**
 * The explicit list of queue backends. Adding one = a folder under src/queue/ implementing
 * QueueBackend (src/queue/types.ts) and one entry in QUEUE_BACKENDS: its settings appear under
 * `queue.<name>` in the configuration, its URL scheme and environment variable select it, and the
 * conformance suite runs against it.
 */
import { readSecret } from '../core/secret.js';
import { memoryBackend } from './memory/memory.js';
import { natsBackend } from './nats/nats.js';
import { redisBackend } from './redis/redis.js';
import type { ChunkQueue, QueueBackend, QueueCommon } from './types.js';

export const QUEUE_BACKENDS: readonly QueueBackend[] = [memoryBackend, redisBackend, natsBackend];

export function queueBackend(name: string): QueueBackend | undefined {
  return QUEUE_BACKENDS.find((b) => b.name === name);
}

/** The backend a URL's scheme selects. */
export function backendForUrl(url: string): QueueBackend | undefined {
  if (!URL.canParse(url)) return undefined;
  const scheme = new URL(url).protocol;
  return QUEUE_BACKENDS.find((b) => b.schemes.includes(scheme));
}

/** The queue settings as the configuration holds them: the shared ones, the choice, and each backend's section. */
export type QueueSettings = QueueCommon & { kind?: string; url?: string } & { [backend: string]: unknown };

/** The backend the settings choose: `kind`, else the URL's scheme, else the in-process queue. */
export function chosenBackend(q: Pick<QueueSettings, 'kind' | 'url'>): QueueBackend {
  const b = q.kind ? queueBackend(q.kind) : q.url ? backendForUrl(q.url) : memoryBackend;
  if (!b) throw new Error(`no queue backend for ${q.kind ? `queue.kind ${q.kind}` : `queue.url ${q.url}`}`); // the configuration schema refuses these first
  return b;
}

/** Shared backends, as a user would name how to choose one (for messages). */
export function sharedChoices(): string {
  return QUEUE_BACKENDS.filter((b) => b.shared && b.urlEnv).map((b) => `${b.urlEnv} (${b.title})`).join(' or ');
}

export function openQueue(q: QueueSettings, consumer: string, connectTimeoutMs: number): ChunkQueue {
  const b = chosenBackend(q);
  const { kind: _k, url, ...rest } = q;
  const common: QueueCommon = {
    prefix: rest.prefix, maxLength: rest.maxLength, group: rest.group, claimIdleMs: rest.claimIdleMs, blockMs: rest.blockMs, maxDeliveries: rest.maxDeliveries, codec: rest.codec,
  };
  const password = rest.passwordFile ? readSecret('queue.passwordFile', rest.passwordFile) : undefined;
  return b.open({ url, password, common, settings: b.settings.parse(q[b.name] ?? {}), consumer, connectTimeoutMs });
}
