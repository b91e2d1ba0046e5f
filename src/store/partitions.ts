/**
 * Daily partitions, created on demand before a batch is written. Creation runs in its own short
 * transaction under an advisory lock so concurrent processors never race on the same DDL.
 */
import type pg from 'pg';
import type { LogType } from '../logtypes/types.js';
import { PARTITION_SCHEMA } from './schema.js';

export const DAY_MS = 86_400_000;

export function dayOf(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

/** `YYYY-MM-DD` of a day number. */
export function dayName(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function partitionName(type: LogType, day: number): string {
  return `${type.table}_p${dayName(day).replaceAll('-', '')}`;
}

export class PartitionManager {
  private readonly known = new Set<string>();

  /**
   * Ensures a partition exists for every (type, day) pair; cheap when all are known. For rows of
   * today (live logs) tomorrow's partition is made too, so the hot path does not meet DDL at
   * midnight; for older days (a backfill) the next day comes with its own rows, if ever.
   */
  async ensure(pool: pg.Pool, wanted: Iterable<[LogType, number]>, now = Date.now()): Promise<void> {
    const today = dayOf(now);
    const missing = new Map<string, [LogType, number]>();
    for (const [type, day] of wanted) {
      for (const d of day >= today ? [day, day + 1] : [day]) {
        const name = partitionName(type, d);
        if (!this.known.has(name)) missing.set(name, [type, d]);
      }
    }
    if (missing.size === 0) return;
    const client = await pool.connect();
    try {
      const existing = await client.query<{ relname: string }>(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = ANY($2)`,
        [PARTITION_SCHEMA, [...missing.keys()]],
      );
      for (const r of existing.rows) {
        this.known.add(r.relname);
        missing.delete(r.relname);
      }
      if (missing.size === 0) return;
      // Created apart, then attached: ATTACH PARTITION takes only a SHARE UPDATE EXCLUSIVE lock
      // on the parent, which neither waits for nor blocks other processors' COPYs into it (where
      // CREATE TABLE … PARTITION OF queued behind them, stalled every writer and could deadlock).
      // The advisory lock serialises creators. All of it is one transaction (one WAL flush) sent
      // as one message: on a busy machine each round trip costs a scheduling delay on both sides.
      const steps = [...missing].map(([name, [type, day]]) => `
        IF to_regclass('${PARTITION_SCHEMA}.${name}') IS NULL THEN
          CREATE TABLE ${PARTITION_SCHEMA}.${name} (LIKE public.${type.table} INCLUDING DEFAULTS);
          ALTER TABLE public.${type.table} ATTACH PARTITION ${PARTITION_SCHEMA}.${name}
            FOR VALUES FROM ('${dayName(day)}T00:00:00Z') TO ('${dayName(day + 1)}T00:00:00Z');
        END IF;`);
      try {
        await client.query(
          `BEGIN; SELECT pg_advisory_xact_lock(hashtext('logpipe:partitions')); DO $$ BEGIN ${steps.join('')} END $$; COMMIT;`,
        );
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
      for (const name of missing.keys()) this.known.add(name);
    } finally {
      client.release();
    }
  }

  /** Forget what is known (after a reset dropped the tables). */
  clear(): void {
    this.known.clear();
  }
}
