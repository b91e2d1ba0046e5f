/**
 * The reader's bookkeeping in PostgreSQL: which file is which (by a fingerprint of its first
 * bytes, not its name), how far each was read, where to resume (the ledger's committed prefix),
 * and the inputs that could not be read. The reader reaches these tables only through here.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { FileRange } from '../core/range.js';
import { BOOK_SCHEMA } from './schema.js';

/** Bytes of a file's start that identify it (decompressed, for a .gz). */
export const FINGERPRINT_BYTES = 1024;

export interface FileRow {
  id: number;
  path: string;
  chunk_max_lines: number;
  chunk_max_bytes: number;
  lines_read: number;
  read_offset: number;
  size_seen: number | null;
  mtime_seen: Date | null;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
const FILE_COLUMNS = 'id, path, chunk_max_lines, chunk_max_bytes, lines_read, read_offset, size_seen, mtime_seen';

/**
 * Registers a file by its first bytes `head` (up to FINGERPRINT_BYTES, never empty) or finds it
 * again, and records `path` as where it was last seen. New files get the current chunk bounds,
 * which then stay fixed for them. A file first seen shorter than the fingerprint is matched
 * again once it has grown.
 */
export async function registerFile(
  pool: pg.Pool,
  head: Buffer,
  path: string,
  compressed: boolean,
  bounds: { maxLines: number; maxBytes: number },
): Promise<FileRow> {
  const fingerprint = sha256(head);
  if (head.length === FINGERPRINT_BYTES) {
    const short = await pool.query<{ id: number; fp_len: number; fingerprint: Buffer }>(
      `SELECT id, fp_len, fingerprint FROM ${BOOK_SCHEMA}.files WHERE fp_len < $1`,
      [FINGERPRINT_BYTES],
    );
    for (const s of short.rows) {
      if (sha256(head.subarray(0, s.fp_len)).equals(s.fingerprint)) {
        // Unless another file already has these first bytes: then that one is this file (identity is content).
        await pool.query(
          `UPDATE ${BOOK_SCHEMA}.files SET fingerprint = $2, fp_len = $3 WHERE id = $1
             AND NOT EXISTS (SELECT 1 FROM ${BOOK_SCHEMA}.files WHERE fingerprint = $2)`,
          [s.id, fingerprint, FINGERPRINT_BYTES],
        );
        break;
      }
    }
  }
  const r = await pool.query<FileRow>(
    `INSERT INTO ${BOOK_SCHEMA}.files (fingerprint, fp_len, path, compressed, chunk_max_lines, chunk_max_bytes)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (fingerprint) DO UPDATE SET path = EXCLUDED.path, compressed = EXCLUDED.compressed, updated_at = now()
     RETURNING ${FILE_COLUMNS}`,
    [fingerprint, head.length, path, compressed, bounds.maxLines, bounds.maxBytes],
  );
  return r.rows[0];
}

export interface ResumePoint {
  /** End of the committed prefix: where reading resumes. */
  offset: number;
  /** Number of the first line after it. */
  line: number;
  /** Lines committed in all (prefix and beyond). */
  committedLines: number;
  /** Committed ranges after a gap (another reader's, or a re-cut): their chunks are not published again. */
  later: FileRange[];
}

/**
 * Where to resume a file: the end of its committed prefix, from the ledger (the truth, not the
 * queue), starting where retention retired its oldest ledger rows (files.retired_*), so a file
 * whose old lines were dropped is never read again from its start.
 */
export async function resumePoint(pool: pg.Pool, fileId: number): Promise<ResumePoint> {
  const f = await pool.query<{ retired_offset: number; retired_line: number; retired_lines: number }>(
    `SELECT retired_offset, retired_line, retired_lines FROM ${BOOK_SCHEMA}.files WHERE id = $1`,
    [fileId],
  );
  const retired = f.rows[0] ?? { retired_offset: 0, retired_line: 1, retired_lines: 0 };
  const r = await pool.query<{ start_offset: number; end_offset: number; first_line: number; line_count: number }>(
    `SELECT start_offset, end_offset, first_line, line_count FROM ${BOOK_SCHEMA}.chunks WHERE file_id = $1 ORDER BY start_offset`,
    [fileId],
  );
  const rp: ResumePoint = { offset: retired.retired_offset, line: retired.retired_line, committedLines: retired.retired_lines, later: [] };
  for (const c of r.rows) {
    rp.committedLines += c.line_count;
    if (rp.later.length === 0 && c.start_offset === rp.offset) {
      rp.offset = c.end_offset;
      rp.line = c.first_line + c.line_count;
    } else {
      rp.later.push({ fileId, start: c.start_offset, end: c.end_offset, firstLine: c.first_line, lineCount: c.line_count });
    }
  }
  return rp;
}

export interface ReadProgress {
  /** Lines cut into chunks so far (the number of the last one). */
  linesRead: number;
  /** Byte offset just past them. */
  readOffset: number;
  /** Messages published since the last report. */
  published: number;
  /** Whether a pass is still under way. */
  reading: boolean;
  /** At the end of a pass: the file's size and mtime as read. */
  seen?: { size: number; mtimeMs: number };
}

export async function recordProgress(pool: pg.Pool, fileId: number, p: ReadProgress): Promise<void> {
  await pool.query(
    `UPDATE ${BOOK_SCHEMA}.files SET lines_read = $2, read_offset = $3, chunks_published = chunks_published + $4, reading = $5,
            size_seen = coalesce($6, size_seen), mtime_seen = coalesce(to_timestamp($7::float8 / 1000), mtime_seen), updated_at = now()
      WHERE id = $1`,
    [fileId, p.linesRead, p.readOffset, p.published, p.reading, p.seen?.size ?? null, p.seen?.mtimeMs ?? null],
  );
}

export interface CommitState {
  id: number;
  path: string;
  linesRead: number;
  committed: number;
}

/** Per file: lines read and lines committed (the ledger's ranges never overlap, so their sum counts each line once; retired ones included). */
export async function commitStates(pool: pg.Pool, ids: number[]): Promise<CommitState[]> {
  const r = await pool.query<{ id: number; path: string; lines_read: number; committed: number }>(
    `SELECT f.id, f.path, f.lines_read, f.retired_lines + coalesce(sum(c.line_count), 0)::bigint AS committed
       FROM ${BOOK_SCHEMA}.files f LEFT JOIN ${BOOK_SCHEMA}.chunks c ON c.file_id = f.id
      WHERE f.id = ANY($1) GROUP BY f.id`,
    [ids],
  );
  return r.rows.map((x) => ({ id: x.id, path: x.path, linesRead: x.lines_read, committed: x.committed }));
}

/** Notes that an input could not be read (counted per path until it is read again). */
export async function recordInputError(pool: pg.Pool, path: string, code: string, message: string): Promise<void> {
  await pool.query(
    `INSERT INTO ${BOOK_SCHEMA}.input_errors AS e (path, code, message) VALUES ($1, $2, $3)
     ON CONFLICT (path) DO UPDATE SET code = EXCLUDED.code, message = EXCLUDED.message, last_seen = now(),
       occurrences = CASE WHEN e.resolved_at IS NULL THEN e.occurrences + 1 ELSE 1 END,
       first_seen = CASE WHEN e.resolved_at IS NULL THEN e.first_seen ELSE now() END, resolved_at = NULL`,
    [path, code, message.slice(0, 500)],
  );
}

/** The input at `path` was read: an earlier error there is resolved. */
export async function resolveInputError(pool: pg.Pool, path: string): Promise<void> {
  await pool.query(`UPDATE ${BOOK_SCHEMA}.input_errors SET resolved_at = now() WHERE path = $1 AND resolved_at IS NULL`, [path]);
}

export interface InputError {
  path: string;
  code: string;
  message: string;
  firstSeen: Date;
  lastSeen: Date;
  occurrences: number;
}

export async function openInputErrors(pool: pg.Pool): Promise<InputError[]> {
  const r = await pool.query(
    `SELECT path, code, message, first_seen, last_seen, occurrences FROM ${BOOK_SCHEMA}.input_errors WHERE resolved_at IS NULL ORDER BY path`,
  );
  return r.rows.map((e) => ({ path: e.path, code: e.code, message: e.message, firstSeen: e.first_seen, lastSeen: e.last_seen, occurrences: e.occurrences }));
}
