/**
 * The commit failure policy against a real PostgreSQL: every branch is made to happen (a dropped
 * partition and table, an unregistered file, a row PostgreSQL refuses, a database that refuses
 * every write, chunks committed partly already) and its outcome checked row by row.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { createLogger } from '../../src/core/logger.js';
import { generate } from '../../src/generator/generate.js';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { Committer, type Pending } from '../../src/processor/commit-policy.js';
import { configureParsing, DEFAULT_PARSE_SETTINGS, prepareChunk, type PrepareMode } from '../../src/processor/parse-chunk.js';
import type { PreparedChunk } from '../../src/processor/parse-wire.js';
import { decodeChunk, encodeChunk, type Chunk, type EncodedChunk } from '../../src/queue/chunk.js';
import { Chunker } from '../../src/reader/chunker.js';
import { CopyBuffer } from '../../src/store/copy-buffer.js';
import { createPool, withClient } from '../../src/store/db.js';
import { registerFile } from '../../src/store/files.js';
import { initDb } from '../../src/store/init.js';
import type { CommitOutcome } from '../../src/store/ledger.js';
import { PartitionManager } from '../../src/store/partitions.js';
import { fileStatuses } from '../../src/store/status.js';
import { tempDatabase, type TempDatabase } from '../helpers/services.js';

const log = createLogger('silent');
let dir: string;
let payload: Buffer;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'logpipe-policy-'));
  payload = readFileSync(generate({ files: 1, lines: 3_000, out: dir, seed: 3, dirty: 0 }).files[0]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A database of its own with one registered file, and a Committer on it. */
async function setup(t: { after(fn: () => Promise<void>): void }) {
  const db: TempDatabase = await tempDatabase();
  const pool = createPool(db.url, 3);
  await withClient(pool, initDb);
  const path = join(dir, `f-${Math.random()}.log`);
  writeFileSync(path, payload);
  const file = await registerFile(pool, payload.subarray(0, 1024), path, false, { maxLines: 1000, maxBytes: 1 << 20 });
  const outcomes: CommitOutcome[] = [];
  const partitions = new PartitionManager();
  const committer = new Committer(pool, partitions, { prepare, stopping: () => false, committed: (o) => outcomes.push(o), retried: () => {} }, log);
  t.after(async () => {
    await pool.end();
    await db.drop();
  });
  return { db, pool, fileId: file.id, committer, outcomes, partitions };
}

/** What a parse thread does, here inline. */
async function prepare(message: EncodedChunk, mode: PrepareMode = { kind: 'parse' }): Promise<PreparedChunk> {
  const chunk = await decodeChunk(message);
  const { payload: _, ...range } = chunk;
  const { rows, segments } = prepareChunk(chunk, mode);
  return { range, segments, rows };
}

/** The file cut into chunks of `maxLines`, ready to commit. */
async function pending(fileId: number, maxLines: number): Promise<Pending[]> {
  const chunker = new Chunker(fileId, { maxLines, maxBytes: 1 << 20, maxLineBytes: 4096 });
  const chunks: Chunk[] = chunker.finish(chunker.feed(payload));
  return Promise.all(chunks.map(async (c) => {
    const message = await encodeChunk(c);
    return { message, prepared: await prepare(message) };
  }));
}

/** Every line of the file is once in a log table or the quarantine, and the ledger adds up. */
async function assertWholeFileOnce(pool: pg.Pool, fileId: number): Promise<void> {
  const union = [...LOG_TYPES.map((t) => `SELECT line_no FROM public.${t.table} WHERE file_id = $1`), 'SELECT line_no FROM logpipe.quarantine WHERE file_id = $1'].join(' UNION ALL ');
  const r = (await pool.query(`SELECT count(*)::int AS n, count(DISTINCT line_no)::int AS d, min(line_no)::int AS lo, max(line_no)::int AS hi FROM (${union}) u`, [fileId])).rows[0];
  assert.deepEqual(r, { n: 3000, d: 3000, lo: 1, hi: 3000 });
  const ledger = (await pool.query(`SELECT sum(line_count)::int AS lines, sum(records + quarantined + blank)::int AS counted FROM logpipe.chunks WHERE file_id = $1`, [fileId])).rows[0];
  assert.deepEqual(ledger, { lines: 3000, counted: 3000 });
}

test('a dropped partition is made again and the batch committed', async (t) => {
  const { pool, fileId, committer } = await setup(t);
  const [a, b, c] = await pending(fileId, 1000);
  assert.equal(await committer.commit([a]), true);
  const parts = (await pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'logpipe_partitions'`)).rows.map((r) => r.tablename);
  for (const p of parts) await pool.query(`DROP TABLE logpipe_partitions.${p}`);
  assert.equal(await committer.commit([b, c]), true);
  const n = (await pool.query(`SELECT count(*)::int AS n FROM public.firewall_logs WHERE file_id = $1`, [fileId])).rows[0].n;
  assert.ok(n > 0, 'the later chunks are in the partitions made again');
});

test('a dropped table (a reset) stops the processor with what to run; nothing is half written', async (t) => {
  const { pool, fileId, committer } = await setup(t);
  const all = await pending(fileId, 1000);
  await pool.query('DROP TABLE public.dns_logs CASCADE');
  await assert.rejects(committer.commit(all), /the schema in .* is incomplete: relation "public\.dns_logs" does not exist \(as an administrator: `logpipe init-db`\); the batch stays in the queue/);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM logpipe.chunks')).rows[0].n, 0);
});

test('a table whose columns changed under the processor (binary rows it no longer takes) stops it; nothing is written or quarantined', async (t) => {
  const { pool, fileId, committer } = await setup(t);
  const all = await pending(fileId, 1000); // encoded for this release's columns: line_no in 4 bytes
  await pool.query('ALTER TABLE public.firewall_logs ALTER COLUMN line_no TYPE bigint');
  await assert.rejects(committer.commit(all), /refused the binary COPY rows: .*\(the log tables' columns changed since this processor started: restart it\); the batch stays in the queue/);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM logpipe.chunks')).rows[0].n, 0);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM logpipe.quarantine')).rows[0].n, 0);
});

test('a schema of another release (a column the processor writes is gone) stops it; nothing is written or quarantined', async (t) => {
  const { pool, fileId, committer } = await setup(t);
  const all = await pending(fileId, 1000);
  await pool.query('ALTER TABLE logpipe.firewall_sources_daily DROP COLUMN events');
  await assert.rejects(committer.commit(all), /lacks a column this processor writes: column "events" .*does not exist \(an older schema: `logpipe init-db` of this release; a newer one: upgrade the processor\); the batch stays in the queue/);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM logpipe.chunks')).rows[0].n, 0);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM logpipe.quarantine')).rows[0].n, 0);
});

test('chunks of a file no longer registered are dropped, nothing written', async (t) => {
  const { pool, fileId, committer, outcomes } = await setup(t);
  const orphans = await pending(fileId + 1000, 1000);
  assert.equal(await committer.commit(orphans), true);
  assert.equal(outcomes.length, 0);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM logpipe.chunks')).rows[0].n, 0);
});

test('a row PostgreSQL refuses: the batch is bisected, that chunk quarantined with the error, the others written', async (t) => {
  const { pool, fileId, committer } = await setup(t);
  // Rows as text, so one can be spoiled by editing it (the policy is the same for either format).
  configureParsing({ ...DEFAULT_PARSE_SETTINGS, copyFormat: 'text' });
  const [a, b, c] = await pending(fileId, 1000).finally(() => configureParsing(DEFAULT_PARSE_SETTINGS));
  // A firewall row whose address is not one: the parser would never make it, PostgreSQL refuses it.
  const bad = b.prepared.rows.rows[0];
  b.prepared.rows.rows[0] = CopyBuffer.of(Buffer.concat([bad.bytes(), Buffer.from(bad.bytes().subarray(0, bad.bytes().indexOf(10) + 1).toString().replace(/\t(\d+\.\d+\.\d+\.\d+)\t/, '\tnot-an-address\t'))]), bad.rows + 1);
  assert.equal(await committer.commit([a, b, c]), true);
  await assertWholeFileOnce(pool, fileId);
  const q = (await pool.query(`SELECT reason, min(line_no)::int AS lo, max(line_no)::int AS hi, count(*)::int AS n, min(detail) AS detail FROM logpipe.quarantine GROUP BY reason`)).rows;
  assert.equal(q.length, 1);
  assert.deepEqual({ reason: q[0].reason, lo: q[0].lo, hi: q[0].hi, n: q[0].n }, { reason: 'unknown_format', lo: 1001, hi: 2000, n: 1000 });
  assert.match(q[0].detail, /^PostgreSQL refused the chunk: invalid input syntax for type inet: "not-an-address"/);
  const files = await fileStatuses(pool);
  assert.equal(files[0].quarantined, 1000);
});

test('a database that refuses every write stops the processor with the chunk named, nothing half written', async (t) => {
  const { db, fileId } = await setup(t);
  const admin = createPool(db.url, 1);
  await admin.query(`ALTER DATABASE ${db.name} SET default_transaction_read_only = on`);
  await admin.end();
  const pool = createPool(db.url, 2); // new connections: read-only
  t.after(() => pool.end());
  const committer = new Committer(pool, new PartitionManager(), { prepare, stopping: () => false, committed: () => {}, retried: () => {} }, log);
  const batch = await pending(fileId, 1000);
  await assert.rejects(committer.commit(batch.slice(0, 2)), new RegExp(`PostgreSQL refuses every write for chunk ${fileId}:0-\\d+: cannot execute .* in a read-only transaction`));
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM logpipe.chunks')).rows[0].n, 0);
});

test('chunks cut again with other boundaries: only the lines not yet committed are written', async (t) => {
  const { pool, fileId, committer, outcomes } = await setup(t);
  const by1000 = await pending(fileId, 1000); // lines 1-1000, 1001-2000, 2001-3000
  const by1500 = await pending(fileId, 1500); // lines 1-1500, 1501-3000
  assert.equal(await committer.commit([by1000[0]]), true);
  assert.equal(await committer.commit([by1500[0]]), true, 'lines 1001-1500 are new');
  assert.equal(await committer.commit([by1000[1], by1000[0]]), true, 'lines 1501-2000 are new; the first chunk is a duplicate');
  assert.equal(await committer.commit([by1500[1], by1000[2]]), true, 'lines 2001-3000 once, whichever chunk brings them');
  await assertWholeFileOnce(pool, fileId);
  const segments = (await pool.query(`SELECT first_line, line_count FROM logpipe.chunks WHERE file_id = $1 ORDER BY start_offset`, [fileId])).rows;
  assert.deepEqual(segments.map((s) => [s.first_line, s.line_count]), [[1, 1000], [1001, 500], [1501, 500], [2001, 1000]]);
  const sum = (k: 'chunks' | 'duplicates') => outcomes.reduce((a, o) => a + o[k], 0);
  assert.deepEqual([sum('chunks'), sum('duplicates')], [4, 2], 'four chunks wrote lines; the first again, and the last 1,500 lines again, were duplicates');
});
