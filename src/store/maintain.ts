/**
 * Compaction of closed days, and of the rollups. A day's partition stops receiving rows once the
 * day is over, but its rows lie in arrival order and its B-tree indexes, built by inserts, are
 * about two thirds full (measured: 57.6 bytes a DNS row for (query_domain, ts), 37.6 rebuilt).
 * Once per closed day's partition:
 * - its rows are rewritten in its log type's order (`clusterBy`, e.g. source IP then time: one
 *   IP's rows of the day on a few pages instead of one page each) with CLUSTER, which rebuilds
 *   its indexes too. CLUSTER holds the partition exclusively while it runs (measured: 30 s for
 *   the firewall partition of a 10M-line day): a question that reads that day, or a late line
 *   for it, waits. It waits at most `lockTimeoutMs` for the partition (a long query there):
 *   then the partition is left for the next run;
 * - or, without an order (`cluster: false`, or a type without one), its multi-column B-trees
 *   are rebuilt concurrently (reads and writes go on);
 * then the partition is vacuumed so index-only scans skip the heap. Rows that arrive late still
 * go in, after the ordered ones; the index just grows again for them. A day dropped (by
 * retention) after it was listed is passed over.
 */
import type pg from 'pg';
import { isMissingRelation, SQLSTATE, sqlState } from '../core/sqlstate.js';
import { withClient } from './db.js';
import { typeOfPartition } from './partitions.js';
import { ROLLUP_TABLES } from './rollups.js';
import { BOOK_SCHEMA, PARTITION_SCHEMA } from './schema.js';

export interface MaintainOptions {
  /** Days before this one (YYYY-MM-DD) are closed; default yesterday (today's and yesterday's may still receive late lines). */
  before?: string;
  /** Rewrite each closed day in its type's order (default true). */
  cluster?: boolean;
  /** How long a rewrite waits for its partition before leaving it for the next run (default 10 s). */
  lockTimeoutMs?: number;
  onEach?: (c: Compacted) => void;
}

export interface Compacted {
  partition: string;
  /** Its indexes' size before and after. */
  bytesBefore: number;
  bytesAfter: number;
  /** The order its rows were rewritten in, or null (indexes rebuilt concurrently only). */
  orderedBy: string | null;
  /**
   * done; busy: another session held the partition longer than the lock timeout, nothing done,
   * tried again next run; gone: dropped (by retention) after it was listed, nothing to do.
   */
  outcome: 'done' | 'busy' | 'gone';
  /** All it took, and of that the time it held the partition exclusively (ordering it). */
  seconds: number;
  heldSeconds: number;
}

/** Partitions of days before `before` (YYYY-MM-DD) not compacted yet, oldest first. */
async function closedPartitions(pool: pg.Pool, before: string): Promise<string[]> {
  const r = await pool.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND substring(c.relname from '_p(\\d{8})$') < $2
        AND NOT EXISTS (SELECT 1 FROM ${BOOK_SCHEMA}.compacted k WHERE k.partition = c.relname)
      ORDER BY substring(c.relname from '_p(\\d{8})$'), c.relname`,
    [PARTITION_SCHEMA, before.replaceAll('-', '')],
  );
  return r.rows.map((x) => x.relname);
}

const indexBytes = async (pool: pg.Pool, table: string) =>
  (await pool.query(`SELECT pg_indexes_size($1::regclass)::bigint AS b`, [`${PARTITION_SCHEMA}.${table}`])).rows[0].b as number;

/**
 * Rewrites a partition's rows in `order` (CLUSTER on an index made for it and dropped after, all
 * in one transaction: nothing is left behind if it fails). Returns the seconds it held the
 * partition, or null when the partition stayed busy for `lockTimeoutMs`.
 */
async function rewriteInOrder(pool: pg.Pool, partition: string, order: string, lockTimeoutMs: number): Promise<number | null> {
  const table = `${PARTITION_SCHEMA}.${partition}`;
  const index = `${partition}_order`;
  return withClient(pool, async (c) => {
    try {
      await c.query('BEGIN');
      await c.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
      await c.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      const locked = performance.now();
      await c.query(`SET LOCAL lock_timeout = 0`); // held now: what follows waits for nothing else
      // CLUSTER chooses between a sort and walking the index by the planner's costs, under the
      // server's maintenance_work_mem (forcing the sort, or 256 MB or 1 GB of it, measured no
      // better in all for a 10M-line day).
      await c.query(`CREATE INDEX ${index} ON ${table} (${order}) WITH (fillfactor = 100)`);
      await c.query(`CLUSTER ${table} USING ${index}`);
      await c.query(`DROP INDEX ${PARTITION_SCHEMA}.${index}`);
      await c.query('COMMIT');
      return (performance.now() - locked) / 1000;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      if (sqlState(err) === SQLSTATE.LOCK_NOT_AVAILABLE) return null;
      throw err;
    }
  });
}

const since = (t: number) => (performance.now() - t) / 1000;

/** Compacts one closed day's partition (see the top of this file). */
async function compactOne(pool: pg.Pool, partition: string, o: MaintainOptions, started: number): Promise<Compacted> {
  const bytesBefore = await indexBytes(pool, partition);
  // Single-column B-trees on repeated values (dst_port) are deduplicated as they grow and come
  // out no smaller rebuilt (measured): only multi-column ones get fillfactor 100, e.g. (src_ip,
  // hour) 5.0 → 3.7 bytes a row, (hash of the domain, ts) 43 → 28 a DNS row.
  const indexes = await pool.query<{ name: string }>(
    `SELECT i.relname AS name FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am a ON a.oid = i.relam
      WHERE x.indrelid = $1::regclass AND a.amname = 'btree' AND x.indnatts > 1`,
    [`${PARTITION_SCHEMA}.${partition}`],
  );
  for (const ix of indexes.rows) await pool.query(`ALTER INDEX ${PARTITION_SCHEMA}.${ix.name} SET (fillfactor = 100)`);
  const order = o.cluster === false ? null : typeOfPartition(partition)?.clusterBy?.on ?? null;
  let heldSeconds = 0;
  if (order !== null) {
    // CLUSTER rebuilds every index of the partition, with the fillfactor just set.
    const held = await rewriteInOrder(pool, partition, order, o.lockTimeoutMs ?? 10_000);
    if (held === null) return { partition, bytesBefore, bytesAfter: bytesBefore, orderedBy: null, outcome: 'busy', seconds: since(started), heldSeconds };
    heldSeconds = held;
  } else {
    // CONCURRENTLY: queries and late writes go on while it is rebuilt (not in a transaction block).
    for (const ix of indexes.rows) await pool.query(`REINDEX INDEX CONCURRENTLY ${PARTITION_SCHEMA}.${ix.name}`);
  }
  await pool.query(`VACUUM (ANALYZE) ${PARTITION_SCHEMA}.${partition}`);
  await pool.query(`INSERT INTO ${BOOK_SCHEMA}.compacted (partition) VALUES ($1) ON CONFLICT DO NOTHING`, [partition]);
  return { partition, bytesBefore, bytesAfter: await indexBytes(pool, partition), orderedBy: order, outcome: 'done', seconds: since(started), heldSeconds };
}

/**
 * Compacts every closed day's partition not compacted yet, then the rollups. Needs the tables'
 * owner (CLUSTER, REINDEX). Returns what it did to each partition, busy and gone ones included.
 */
export async function compactClosedDays(pool: pg.Pool, o: MaintainOptions = {}): Promise<Compacted[]> {
  const cutoff = o.before ?? new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const done: Compacted[] = [];
  const finish = (c: Compacted) => {
    done.push(c);
    o.onEach?.(c);
  };
  for (const partition of await closedPartitions(pool, cutoff)) {
    const started = performance.now();
    try {
      finish(await compactOne(pool, partition, o, started));
    } catch (err) {
      if (!isMissingRelation(err)) throw err;
      finish({ partition, bytesBefore: 0, bytesAfter: 0, orderedBy: null, outcome: 'gone', seconds: since(started), heldSeconds: 0 });
    }
  }
  // The rollups are updated in place by every batch: vacuum makes their dead versions' space
  // reusable, and a ranked rollup's index (updated with every count, measured 5 bytes a row at
  // 10M rows, 1 rebuilt) is rebuilt, concurrently.
  for (const t of ROLLUP_TABLES) {
    await pool.query(`VACUUM (ANALYZE) ${t}`);
    await pool.query(`REINDEX TABLE CONCURRENTLY ${t}`);
  }
  return done;
}
