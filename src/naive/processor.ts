/**
 * The seed's processor: BRPOP one message (1 s timeout), parse it, INSERT one row and COMMIT,
 * again and again. A line no parser matches is dropped.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { naiveParse } from './parse.js';
import { createNaiveTable, NAIVE_INSERT } from './schema.js';

export interface NaiveProcessorOptions {
  redisUrl: string;
  databaseUrl: string;
  list: string;
  signal?: AbortSignal;
}

export interface NaiveProcessorTotals {
  inserted: number;
  dropped: number;
}

export async function runNaiveProcessor(opts: NaiveProcessorOptions, totals: NaiveProcessorTotals = { inserted: 0, dropped: 0 }): Promise<NaiveProcessorTotals> {
  const redis = new Redis(opts.redisUrl);
  const db = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'logpipe-naive' });
  await db.connect();
  try {
    await createNaiveTable(db);
    while (!opts.signal?.aborted) {
      const popped = await redis.brpop(opts.list, 1);
      if (!popped) continue;
      const { line, source_file: sourceFile } = JSON.parse(popped[1]) as { line: string; source_file: string };
      const record = naiveParse(line);
      if (!record) {
        totals.dropped++;
        continue;
      }
      await db.query('BEGIN');
      await db.query(NAIVE_INSERT, [record.logType, line, record.timestamp, sourceFile, JSON.stringify(record.parsed)]);
      await db.query('COMMIT');
      totals.inserted++;
    }
    return totals;
  } finally {
    redis.disconnect();
    await db.end();
  }
}
