/**
 * Daily partitions, made on demand before a batch is written, through a function the
 * administrator owns (logpipe.ensure_partitions); known ones cost nothing.
 */
import type pg from 'pg';
import { LOG_TYPES } from '../logtypes/registry.js';
import type { LogType } from '../logtypes/types.js';
import { BOOK_SCHEMA } from './schema.js';

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

/** The log type a partition (`<table>_pYYYYMMDD`, partitionName) belongs to, or undefined. */
export function typeOfPartition(partition: string): LogType | undefined {
  const table = /^(.+)_p\d{8}$/.exec(partition)?.[1];
  return LOG_TYPES.find((t) => t.table === table);
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
    // One call, one transaction: logpipe.ensure_partitions (src/store/functions.ts) makes the
    // missing ones under an advisory lock, as the administrator who owns it (a processor has no
    // DDL rights of its own); on a busy machine each round trip costs a scheduling delay.
    const list = [...missing.values()];
    await pool.query(`SELECT ${BOOK_SCHEMA}.ensure_partitions($1::text[], $2::date[])`, [list.map(([t]) => t.table), list.map(([, d]) => dayName(d))]);
    for (const name of missing.keys()) this.known.add(name);
  }

  /** Forget what is known (after a reset dropped the tables). */
  clear(): void {
    this.known.clear();
  }
}
