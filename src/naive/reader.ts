/**
 * The seed's reader: every second, each .log file of the directory not read yet is read line by
 * line and every non-empty stripped line is pushed with its own LPUSH, one round trip each.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { wait } from '../core/wait.js';
import { naiveMessage } from './parse.js';

export interface NaiveReaderOptions {
  redisUrl: string;
  logDir: string;
  /** The Redis list (the seed's `log_queue`). */
  list: string;
  /** One pass over the directory, then return (the seed's reader polls forever). */
  once: boolean;
  /** Stop after this many lines (the benchmark's subset). */
  maxLines?: number;
  signal?: AbortSignal;
}

export interface NaiveReaderTotals {
  files: number;
  pushed: number;
  bytes: number;
}

export async function runNaiveReader(opts: NaiveReaderOptions, totals: NaiveReaderTotals = { files: 0, pushed: 0, bytes: 0 }): Promise<NaiveReaderTotals> {
  const redis = new Redis(opts.redisUrl);
  const done = new Set<string>();
  const limit = opts.maxLines ?? Infinity;
  try {
    while (!opts.signal?.aborted && totals.pushed < limit) {
      const names = (await readdir(opts.logDir)).filter((n) => n.endsWith('.log')).sort();
      for (const name of names) {
        if (done.has(name) || opts.signal?.aborted || totals.pushed >= limit) continue;
        const lines = createInterface({ input: createReadStream(join(opts.logDir, name)), crlfDelay: Infinity });
        for await (const raw of lines) {
          const line = raw.trim();
          if (!line) continue;
          const message = naiveMessage(line, basename(name));
          await redis.lpush(opts.list, message);
          totals.pushed++;
          totals.bytes += Buffer.byteLength(message);
          if (totals.pushed >= limit || opts.signal?.aborted) break;
        }
        lines.close();
        done.add(name);
        totals.files++;
      }
      if (opts.once) break;
      await wait(1000, opts.signal);
    }
    return totals;
  } finally {
    redis.disconnect();
  }
}
