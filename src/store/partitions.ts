/**
 * Daily partitions, created on demand before a batch is written. Creation runs in its own short
 * transaction under an advisory lock so concurrent processors never race on the same DDL.
 */
import type pg from 'pg';
import type { LogType } from '../logtypes/types.js';
import { PARTITION_SCHEMA } from './schema.js';

const DAY_MS = 86_400_000;

export function dayOf(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

function dayName(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function partitionName(type: LogType, day: number): string {
  return `${type.table}_p${dayName(day).replaceAll('-', '')}`;
}

export class PartitionManager {
  private readonly known = new Set<string>();

  /** Ensures a partition exists for every (type, day) pair; cheap when all are known. */
  async ensure(pool: pg.Pool, wanted: Iterable<[LogType, number]>): Promise<void> {
    const missing: [LogType, number][] = [];
    for (const [type, day] of wanted) if (!this.known.has(partitionName(type, day))) missing.push([type, day]);
    if (missing.length === 0) return;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('logpipe:partitions'))`);
      for (const [type, day] of missing) {
        const name = partitionName(type, day);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${PARTITION_SCHEMA}.${name} PARTITION OF public.${type.table}
             FOR VALUES FROM ('${dayName(day)}T00:00:00Z') TO ('${dayName(day + 1)}T00:00:00Z')`,
        );
      }
      await client.query('COMMIT');
      for (const [type, day] of missing) this.known.add(partitionName(type, day));
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Forget what is known (after a reset dropped the tables). */
  clear(): void {
    this.known.clear();
  }
}
