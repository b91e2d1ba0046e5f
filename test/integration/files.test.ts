/** The reader's bookkeeping on the real PostgreSQL: identity by content, resume points, input errors. */
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { openSource } from '../../src/reader/source.js';
import { createPool, withClient } from '../../src/store/db.js';
import {
  openInputErrors, recordInputError, registerFile, resolveInputError, resumePoint,
} from '../../src/store/files.js';
import { initDb } from '../../src/store/init.js';
import { tempDatabase, type TempDatabase } from '../helpers/services.js';

const BOUNDS = { maxLines: 100, maxBytes: 4096 };
const LINE = '2024-01-15T00:00:00.000Z|action=accept|src=10.0.0.1|dst=10.0.0.2\n';
let dir: string;
let db: TempDatabase;
let pool: pg.Pool;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'logpipe-files-'));
  db = await tempDatabase();
  pool = createPool(db.url, 1);
  await withClient(pool, initDb);
});
after(async () => {
  await pool.end();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function register(path: string) {
  const src = await openSource(path);
  await src.fh.close();
  return { src, row: src.head.length ? await registerFile(pool, src.head, path, src.compressed, BOUNDS) : null };
}

test('a renamed file is the same file, and so is its gzip; an empty one has no identity', async () => {
  const a = join(dir, 'a.log');
  writeFileSync(a, LINE.repeat(30));
  const first = (await register(a)).row!;
  const b = join(dir, 'a.log.1');
  renameSync(a, b);
  assert.equal((await register(b)).row!.id, first.id, 'renamed');
  const gz = join(dir, 'a.log.2.gz');
  writeFileSync(gz, gzipSync(LINE.repeat(30)));
  const zipped = await register(gz);
  assert.equal(zipped.src.compressed, true, 'gzip by its magic bytes');
  assert.equal(zipped.row!.id, first.id, 'compressed by rotation: still the same file');
  const empty = join(dir, 'empty.log');
  writeFileSync(empty, '');
  assert.equal((await register(empty)).row, null);
  await assert.rejects(openSource(join(dir, 'gone.log')), { code: 'ENOENT' });
});

test('a file first seen shorter than the fingerprint is recognised once it has grown', async () => {
  const p = join(dir, 'short.log');
  const line = LINE.replace('10.0.0.2', '10.0.0.3');
  writeFileSync(p, line);
  const small = (await register(p)).row!;
  writeFileSync(p, line.repeat(40));
  assert.equal((await register(p)).row!.id, small.id);
  // Two files whose first KiB are the same are one file by this identity (a documented limit), never an error.
  const twin = join(dir, 'twin.log');
  writeFileSync(twin, LINE.repeat(40) + 'different tail\n');
  const a = (await register(twin)).row!;
  writeFileSync(join(dir, 'twin-short.log'), LINE);
  const shortTwin = (await register(join(dir, 'twin-short.log'))).row!;
  assert.notEqual(shortTwin.id, a.id);
  writeFileSync(join(dir, 'twin-short.log'), LINE.repeat(40));
  assert.equal((await register(join(dir, 'twin-short.log'))).row!.id, a.id);
});

test('resume point: the committed prefix, and committed ranges after a gap', async () => {
  const p = join(dir, 'resume.log');
  writeFileSync(p, 'x'.repeat(2000));
  const row = (await register(p)).row!;
  assert.deepEqual(await resumePoint(pool, row.id), { offset: 0, line: 1, committedLines: 0, later: [] });
  const chunk = (start: number, end: number, line: number, lines: number) =>
    pool.query(`INSERT INTO logpipe.chunks (file_id, start_offset, end_offset, first_line, line_count, records, quarantined, blank) VALUES ($1, $2, $3, $4, $5, $5, 0, 0)`,
      [row.id, start, end, line, lines]);
  await chunk(0, 100, 1, 10);
  await chunk(100, 250, 11, 5);
  await chunk(400, 500, 30, 4); // after a gap
  assert.deepEqual(await resumePoint(pool, row.id), {
    offset: 250, line: 16, committedLines: 19, later: [{ fileId: row.id, start: 400, end: 500, firstLine: 30, lineCount: 4 }],
  });
  await assert.rejects(chunk(200, 300, 14, 3), /chunks_no_overlap/, 'the ledger refuses overlapping ranges');
});

test('input errors: counted per path, resolved (not deleted) once the path is read', async () => {
  await recordInputError(pool, '/x/secret.log', 'EACCES', 'permission denied');
  await recordInputError(pool, '/x/secret.log', 'EACCES', 'permission denied');
  await recordInputError(pool, '/x/link.log', 'ENOENT', 'dangling');
  const open = await openInputErrors(pool);
  assert.deepEqual(open.map((e) => [e.path, e.code, e.occurrences]), [['/x/link.log', 'ENOENT', 1], ['/x/secret.log', 'EACCES', 2]]);
  await resolveInputError(pool, '/x/secret.log');
  assert.deepEqual((await openInputErrors(pool)).map((e) => e.path), ['/x/link.log']);
  assert.equal((await pool.query(`SELECT count(*)::int AS n FROM logpipe.input_errors`)).rows[0].n, 2, 'kept as history');
});
