/** File identity: by content, not name; an empty or vanished file has none (yet). */
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { registerFile } from '../src/reader/files.js';
import { createPool, withClient } from '../src/store/db.js';
import { initDb } from '../src/store/schema.js';
import { tempDatabase, type TempDatabase } from './helpers/services.js';

const BOUNDS = { maxLines: 100, maxBytes: 4096 };
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

test('a renamed file is the same file; an empty or vanished one gets no row', async () => {
  const a = join(dir, 'a.log');
  writeFileSync(a, '2024-01-15T00:00:00.000Z|action=accept|src=10.0.0.1|dst=10.0.0.2\n'.repeat(30));
  const first = await registerFile(pool, a, BOUNDS);
  assert.ok(first);
  const b = join(dir, 'b.log');
  renameSync(a, b);
  assert.equal((await registerFile(pool, b, BOUNDS))?.id, first.id);
  assert.equal(await registerFile(pool, a, BOUNDS), null, 'vanished since listed');
  const empty = join(dir, 'empty.log');
  writeFileSync(empty, '');
  assert.equal(await registerFile(pool, empty, BOUNDS), null);
});
