/** Writing a parsed chunk's rows straight to the log tables, as a batch would, for tests of the store. */
import type pg from 'pg';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import type { LogType } from '../../src/logtypes/types.js';
import { copyRows, copySqlFor } from '../../src/store/copy.js';
import { PartitionManager } from '../../src/store/partitions.js';
import { unpackTypeKey, type ChunkRows } from '../../src/store/rows.js';

/** Makes the rows' partitions, then COPYs every log table's rows in one transaction. */
export async function writeRows(pool: pg.Pool, rows: ChunkRows): Promise<void> {
  await new PartitionManager().ensure(pool, [...rows.days].map((k) => {
    const [day, t] = unpackTypeKey(k);
    return [LOG_TYPES[t], day] as [LogType, number];
  }));
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (let t = 0; t < LOG_TYPES.length; t++) await copyRows(client, copySqlFor(LOG_TYPES[t]), [rows.rows[t]]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
