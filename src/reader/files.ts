/**
 * Finding input files and knowing which file is which. A file's identity is a fingerprint of its
 * first bytes, not its name: a renamed or rotated file is the same file, a copy-truncated or
 * replaced one is new. A file shorter than the fingerprint length is matched again when it grows.
 */
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type pg from 'pg';
import { BOOK_SCHEMA } from '../store/schema.js';

export const FINGERPRINT_BYTES = 1024;

export function isLogFile(name: string): boolean {
  return name.endsWith('.log') || name.endsWith('.log.gz');
}

/** *.log and *.log.gz in the directory (if it exists) plus explicit paths (files or directories), sorted. */
export async function discover(dir: string | undefined, paths: string[] = []): Promise<string[]> {
  const found = new Set<string>();
  const scanDir = async (d: string) => {
    try {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isFile() && isLogFile(e.name)) found.add(resolve(d, e.name));
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  };
  if (dir) await scanDir(dir);
  for (const p of paths) {
    const s = await stat(p);
    if (s.isDirectory()) await scanDir(p);
    else found.add(resolve(p));
  }
  return [...found].sort();
}

export interface FileRow {
  id: number;
  path: string;
  compressed: boolean;
  chunk_max_lines: number;
  chunk_max_bytes: number;
  eof_offset: number | null;
  total_lines: number | null;
}

async function firstBytes(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

/**
 * Registers the file (or finds it again) and returns its row; null for an empty file, which has
 * no identity yet, and for one that vanished since it was listed (rotated away, deleted). New
 * files get the current chunk bounds, which then stay fixed for them.
 */
export async function registerFile(
  pool: pg.Pool,
  path: string,
  bounds: { maxLines: number; maxBytes: number },
): Promise<FileRow | null> {
  let head: Buffer;
  try {
    head = await firstBytes(path, FINGERPRINT_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (head.length === 0) return null;
  const fingerprint = sha256(head);
  // A file first seen shorter than the fingerprint length: is this it, grown?
  if (head.length === FINGERPRINT_BYTES) {
    const short = await pool.query<{ id: number; fp_len: number; fingerprint: Buffer }>(
      `SELECT id, fp_len, fingerprint FROM ${BOOK_SCHEMA}.files WHERE fp_len < $1`,
      [FINGERPRINT_BYTES],
    );
    for (const s of short.rows) {
      if (sha256(head.subarray(0, s.fp_len)).equals(s.fingerprint)) {
        await pool.query(`UPDATE ${BOOK_SCHEMA}.files SET fingerprint = $2, fp_len = $3 WHERE id = $1`, [s.id, fingerprint, FINGERPRINT_BYTES]);
        break;
      }
    }
  }
  const r = await pool.query<FileRow>(
    `INSERT INTO ${BOOK_SCHEMA}.files (fingerprint, fp_len, path, compressed, chunk_max_lines, chunk_max_bytes)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (fingerprint) DO UPDATE SET path = EXCLUDED.path, updated_at = now()
     RETURNING id, path, compressed, chunk_max_lines, chunk_max_bytes, eof_offset, total_lines`,
    [fingerprint, head.length, path, path.endsWith('.gz'), bounds.maxLines, bounds.maxBytes],
  );
  return r.rows[0];
}

export interface CommittedRange {
  start_offset: number;
  end_offset: number;
  first_line: number;
  line_count: number;
}

/** Where to resume: the end of the committed prefix, and the committed chunks beyond it. */
export async function resumePoint(
  pool: pg.Pool,
  fileId: number,
): Promise<{ offset: number; line: number; committedLines: number; later: Set<string> }> {
  const r = await pool.query<CommittedRange>(
    `SELECT start_offset, end_offset, first_line, line_count FROM ${BOOK_SCHEMA}.chunks WHERE file_id = $1 ORDER BY start_offset`,
    [fileId],
  );
  let offset = 0;
  let line = 1;
  let committedLines = 0;
  const later = new Set<string>();
  let contiguous = true;
  for (const c of r.rows) {
    committedLines += c.line_count;
    if (contiguous && c.start_offset === offset) {
      offset = c.end_offset;
      line = c.first_line + c.line_count;
    } else {
      contiguous = false;
      later.add(`${c.start_offset}-${c.end_offset}`);
    }
  }
  return { offset, line, committedLines, later };
}
