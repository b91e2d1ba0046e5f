/** End to end on generated dirty data, real PostgreSQL and Redis, logpipe as child processes. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, afterEach, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { generate, type GenerateReport } from '../../src/generator/generate.js';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { dropRedisPrefix, REDIS_URL } from '../helpers/services.js';
import { assertExactlyOnce, killStragglers, pipelineFixture, runCli, sleep, startCli, type PipelineFixture } from '../helpers/pipeline.js';

let dir: string;
let report: GenerateReport;
const cleanups: (() => Promise<void>)[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'logpipe-e2e-'));
  report = generate({ files: 3, lines: 15_000, out: dir, seed: 11, dirty: 0.03 });
  // One file arrives compressed.
  const plain = join(dir, 'logs_0002.log');
  writeFileSync(plain + '.gz', gzipSync(readFileSync(plain)));
  unlinkSync(plain);
  report.files[2] = plain + '.gz';
});
afterEach(killStragglers);
after(async () => {
  for (const c of cleanups) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function fresh(): Promise<PipelineFixture> {
  // The generator ends each dirty file without a newline; settled at once, as a finished file.
  const f = await pipelineFixture(dir, { LOGPIPE_CHUNK_MAX_LINES: '1000', LOGPIPE_SETTLE_MS: '0' });
  cleanups.push(f.cleanup);
  return f;
}

test('reader and processor over Redis: every line is a row or quarantined with its reason, exactly once', async () => {
  const { pool, env } = await fresh();
  const processor = startCli(['processor'], env);
  const reader = await runCli(['reader'], env);
  assert.equal(reader.code, 0, reader.output);
  processor.child.kill('SIGTERM');
  assert.equal(await processor.exited, 0, processor.output());
  await assertExactlyOnce(pool, report);
  // Each kind of damage sits in quarantine under its reason.
  const reasons = Object.fromEntries(
    (await pool.query(`SELECT reason, count(*)::int AS n FROM logpipe.quarantine GROUP BY 1`)).rows.map((r) => [r.reason, r.n]),
  );
  for (const [reason, n] of Object.entries(report.quarantinedByReason)) assert.ok(reasons[reason] >= n, `${reason}: ${reasons[reason]} >= ${n}`);
  const long = (await pool.query(`SELECT length(raw) AS len, detail FROM logpipe.quarantine WHERE reason = 'line_too_long' LIMIT 1`)).rows[0];
  assert.equal(long.len, 65536, 'an over-long line keeps a 64 KiB prefix as evidence');
  assert.match(long.detail, /line of \d+ bytes/);
  const bad = (await pool.query(`SELECT raw FROM logpipe.quarantine WHERE reason = 'invalid_encoding' AND position('\\xc328ff'::bytea in raw) > 0 LIMIT 1`)).rows;
  assert.equal(bad.length, 1, 'invalid UTF-8 is kept byte for byte');
});

test('run (one process, in-process queue) gives the same result and prints the analyst queries', async () => {
  const { pool, env } = await fresh();
  const { REDIS_URL: _, ...noRedis } = env;
  const out = await runCli(['run'], noRedis);
  assert.equal(out.code, 0, out.output);
  assert.match(out.output, /queue: memory, database: server/);
  assert.match(out.output, /counts add up: yes/);
  for (const q of ['Q1', 'Q2A', 'Q2B', 'Q3A', 'Q3B', 'Q4', 'Q5', 'Q6']) assert.match(out.output, new RegExp(`^${q} `, 'm'));
  await assertExactlyOnce(pool, report);
  // A second run finds everything committed and writes nothing.
  const again = await runCli(['run', '--no-summary'], noRedis);
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, /logpipe run: 0 records/);
  await assertExactlyOnce(pool, report);
});

test("the seed's reset (drop every public table, flush Redis) is followed by a clean run", async () => {
  const { pool, env, prefix } = await fresh();
  assert.equal((await runCli(['run', '--no-summary'], env)).code, 0);
  const tables = (await pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows.map((r) => r.tablename);
  for (const t of tables) await pool.query(`DROP TABLE public.${t} CASCADE`);
  await dropRedisPrefix(prefix);
  const out = await runCli(['run', '--no-summary'], env);
  assert.equal(out.code, 0, out.output);
  await assertExactlyOnce(pool, report);
});

test('backpressure: the stream never exceeds queue.maxLength and the run completes', async () => {
  const { pool, env } = await fresh();
  const limited = { ...env, LOGPIPE_QUEUE_MAX_LENGTH: '3', LOGPIPE_CHUNK_MAX_LINES: '300' };
  const redis = new Redis(REDIS_URL);
  const reader = startCli(['reader'], limited);
  let maxSeen = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxSeen = Math.max(maxSeen, await redis.xlen(`${env.LOGPIPE_QUEUE_PREFIX}:chunks`));
      await sleep(5);
    }
  })();
  await sleep(1500); // the reader fills the stream up to the limit and waits
  const stalled = await redis.xlen(`${env.LOGPIPE_QUEUE_PREFIX}:chunks`);
  assert.equal(stalled, 3, 'reader waits at the limit');
  const processor = startCli(['processor', '--batch-chunks', '2'], limited);
  assert.equal(await reader.exited, 0, reader.output());
  sampling = false;
  await sampler;
  processor.child.kill('SIGTERM');
  assert.equal(await processor.exited, 0);
  redis.disconnect();
  assert.ok(maxSeen <= 3, `stream length peaked at ${maxSeen}`);
  await assertExactlyOnce(pool, report);
});

test('messages in the stream that are not logpipe chunks are dropped with an error; everything else commits', async () => {
  const { pool, env } = await fresh();
  const stream = `${env.LOGPIPE_QUEUE_PREFIX}:chunks`;
  const redis = new Redis(REDIS_URL);
  await redis.xadd(stream, '*', 'h', 'not json', 'b', 'x');
  await redis.xadd(stream, '*', 'h', JSON.stringify({ fileId: 1, start: 0, end: 10, firstLine: 1, lineCount: 1 }), 'b', 'not deflate');
  const processor = startCli(['processor'], env);
  const reader = await runCli(['reader'], env);
  assert.equal(reader.code, 0, reader.output);
  processor.child.kill('SIGTERM');
  assert.equal(await processor.exited, 0, processor.output());
  assert.equal(processor.output().match(/undecodable message dropped/g)?.length, 2, processor.output());
  assert.equal(await redis.xlen(stream), 0, 'nothing left pending in the stream');
  redis.disconnect();
  await assertExactlyOnce(pool, report);
});

test('SIGTERM breaks the blocking read of an idle processor instead of waiting it out', async () => {
  const { env } = await fresh();
  const config = join(dir, 'long-block.json');
  writeFileSync(config, JSON.stringify({ queue: { blockMs: 30_000 } }));
  const redis = new Redis(REDIS_URL);
  const processor = startCli(['processor', '--consumer', 'idle'], { ...env, LOGPIPE_CONFIG: config });
  // Wait until it has created the group, which it does right before blocking on the empty stream.
  const groups = async () => {
    try {
      return ((await redis.xinfo('GROUPS', `${env.LOGPIPE_QUEUE_PREFIX}:chunks`)) as unknown[]).length;
    } catch {
      return 0; // no stream yet
    }
  };
  while ((await groups()) === 0) await sleep(20);
  await sleep(500);
  const stoppedAt = Date.now();
  processor.child.kill('SIGTERM');
  assert.equal(await processor.exited, 0, processor.output());
  redis.disconnect();
  assert.ok(Date.now() - stoppedAt < 10_000, `exited ${Date.now() - stoppedAt} ms after SIGTERM (its blocking read is 30 s)`);
});

test('a bad configuration stops the process before it starts, naming the setting', async () => {
  const out = await runCli(['processor'], { DATABASE_URL: 'postgres://x@127.0.0.1/none', REDIS_URL, LOGPIPE_BATCH_CHUNKS: 'many' });
  assert.equal(out.code, 2);
  assert.match(out.output, /processor\.batchChunks.*"many"/);
  const noRedis = await runCli(['reader'], { DATABASE_URL: 'postgres://x@127.0.0.1/none' });
  assert.equal(noRedis.code, 2);
  assert.match(noRedis.output, /needs Redis/);
  assert.ok(LOG_TYPES.length > 0);
});
