/** Per-file bookkeeping: what was read, what is committed, and whether the counts add up. */
import type pg from 'pg';
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
    `SELECT f.id, f.path, f.lines_read, f.reading, f.chunks_published,
            count(c.file_id)::bigint AS chunks_committed, coalesce(sum(c.line_count), 0)::bigint AS lines_committed,
            coalesce(sum(c.records), 0)::bigint AS records, coalesce(sum(c.quarantined), 0)::bigint AS quarantined,
            coalesce(sum(c.blank), 0)::bigint AS blank
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
