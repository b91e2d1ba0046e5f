/** Per-file bookkeeping: what was read, what is committed, and whether the counts add up. */
import type pg from 'pg';
import { isMissingRelation } from '../core/sqlstate.js';
import { BOOK_SCHEMA } from './schema.js';

export interface FileStatus {
  id: number;
  path: string;
  linesRead: number;
  linesCommitted: number;
  records: number;
  quarantined: number;
  blank: number;
  chunksPublished: number;
  chunksCommitted: number;
  /**
   * reading: a reader's pass over it is under way (or was cut short); committing: lines read are
   * not all committed yet; done: every line read so far is committed (the file may still grow).
   */
  status: 'reading' | 'committing' | 'done';
  /** For a done file: lines read = records + quarantined + blank, and every one committed. */
  balanced: boolean | null;
}

export async function fileStatuses(pool: pg.Pool): Promise<FileStatus[]> {
  const r = await pool.query(
    // Lines whose ledger rows retention retired count as committed, with their counts.
    `SELECT f.id, f.path, f.lines_read, f.reading, f.chunks_published,
            count(c.file_id)::bigint AS chunks_committed, f.retired_lines + coalesce(sum(c.line_count), 0)::bigint AS lines_committed,
            f.retired_records + coalesce(sum(c.records), 0)::bigint AS records, f.retired_quarantined + coalesce(sum(c.quarantined), 0)::bigint AS quarantined,
            f.retired_blank + coalesce(sum(c.blank), 0)::bigint AS blank
       FROM ${BOOK_SCHEMA}.files f LEFT JOIN ${BOOK_SCHEMA}.chunks c ON c.file_id = f.id
      GROUP BY f.id ORDER BY f.path, f.id`,
  );
  return r.rows.map((f) => {
    const status = f.reading ? 'reading' : f.lines_committed < f.lines_read ? 'committing' : 'done';
    return {
      id: f.id, path: f.path, linesRead: f.lines_read, linesCommitted: f.lines_committed, records: f.records, quarantined: f.quarantined,
      blank: f.blank, chunksPublished: f.chunks_published, chunksCommitted: f.chunks_committed, status,
      balanced: status === 'done' ? f.lines_read === f.records + f.quarantined + f.blank && f.lines_committed === f.lines_read : null,
    };
  });
}

/** Files by state, for the metrics gauge: reading, committing, done, unbalanced (done but not adding up), input_error. */
export async function fileStateCounts(pool: pg.Pool): Promise<Record<string, number>> {
  const counts: Record<string, number> = { reading: 0, committing: 0, done: 0, unbalanced: 0, input_error: 0 };
  for (const f of await fileStatuses(pool)) counts[f.balanced === false ? 'unbalanced' : f.status]++;
  counts.input_error = (await pool.query(`SELECT count(*)::int AS n FROM ${BOOK_SCHEMA}.input_errors WHERE resolved_at IS NULL`)).rows[0].n;
  return counts;
}

/** Totals for the live view; rates come from the difference between two of them. */
export interface Totals {
  /** Lines the readers cut into chunks, over all files. */
  linesRead: number;
  /** Lines committed (records, quarantined and blank), from the ledger. */
  linesCommitted: number;
  /** Records per log type, from the hourly rollup. */
  records: Record<string, number>;
  /** Quarantined lines per reason, from logpipe.quarantine_counts. */
  quarantine: Record<string, number>;
}

export async function totals(pool: pg.Pool): Promise<Totals> {
  const [read, committed, records, quarantine] = await Promise.all([
    pool.query(`SELECT coalesce(sum(lines_read), 0)::bigint AS n FROM ${BOOK_SCHEMA}.files`),
    pool.query(`SELECT ((SELECT coalesce(sum(retired_lines), 0) FROM ${BOOK_SCHEMA}.files) + (SELECT coalesce(sum(line_count), 0) FROM ${BOOK_SCHEMA}.chunks))::bigint AS n`),
    pool.query(`SELECT log_type, sum(events)::bigint AS n FROM ${BOOK_SCHEMA}.hourly_counts GROUP BY 1`),
    pool.query(`SELECT reason, sum(lines)::bigint AS n FROM ${BOOK_SCHEMA}.quarantine_counts GROUP BY 1 ORDER BY 2 DESC`),
  ]);
  return {
    linesRead: read.rows[0].n,
    linesCommitted: committed.rows[0].n,
    records: Object.fromEntries(records.rows.map((r) => [r.log_type, r.n])),
    quarantine: Object.fromEntries(quarantine.rows.map((r) => [r.reason, r.n])),
  };
}

/**
 * Records and lines committed so far, from the ledger; zeros while the schema does not exist
 * yet. What the benchmark polls and the tests wait on.
 */
export async function committedTotals(db: pg.Pool | pg.ClientBase): Promise<{ records: number; lines: number }> {
  try {
    const r = await db.query(`SELECT coalesce(sum(records), 0)::bigint AS records, coalesce(sum(line_count), 0)::bigint AS lines FROM ${BOOK_SCHEMA}.chunks`);
    return r.rows[0];
  } catch (err) {
    if (isMissingRelation(err)) return { records: 0, lines: 0 };
    throw err;
  }
}
