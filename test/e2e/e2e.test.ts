/** End to end on generated dirty data, real PostgreSQL and Redis, logpipe as child processes. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { after, afterEach, before, test } from 'node:test';
import { generate, type GenerateReport } from '../../src/generator/generate.js';
import { queueKeys } from '../../src/queue/redis/keys.js';
import { wait } from '../../src/core/wait.js';
import { fileStatuses } from '../../src/store/status.js';
import { dropQueue, NATS_URL, REDIS_URL, testQueue } from '../helpers/services.js';
import { assertExactlyOnce, killStragglers, pipelineFixture, runCli, startCli, until, type PipelineFixture } from '../helpers/pipeline.js';

/** The shared queues every test here runs on. */
const QUEUES = [{ name: 'Redis', url: REDIS_URL }, { name: 'NATS JetStream', url: NATS_URL }];

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

async function fresh(queueUrl = REDIS_URL): Promise<PipelineFixture> {
  // The generator ends each dirty file without a newline; settled at once, as a finished file.
  const f = await pipelineFixture(dir, { LOGPIPE_CHUNK_MAX_LINES: '1000', LOGPIPE_SETTLE_MS: '0' }, queueUrl);
  cleanups.push(f.cleanup);
  return f;
}

for (const q of QUEUES) {
  test(`reader and processor over ${q.name}: every line is a row or quarantined with its reason, exactly once`, async () => {
    const { pool, env } = await fresh(q.url);
    const processor = startCli(['processor'], env);
    const reader = await runCli(['reader'], env);
    assert.equal(reader.code, 0, reader.output);
    processor.child.kill('SIGTERM');
    assert.equal(await processor.exited, 0, processor.output());
    await assertExactlyOnce(pool, report);
    // Each kind of damage sits in quarantine under its reason, exactly as many as were made.
    const reasons = Object.fromEntries(
      (await pool.query(`SELECT reason, count(*)::int AS n FROM logpipe.quarantine GROUP BY 1`)).rows.map((r) => [r.reason, r.n]),
    );
    assert.deepEqual(reasons, report.quarantinedByReason);
    const long = (await pool.query(`SELECT length(raw) AS len, detail FROM logpipe.quarantine WHERE reason = 'line_too_long' LIMIT 1`)).rows[0];
    assert.equal(long.len, 65536, 'an over-long line keeps a 64 KiB prefix as evidence');
    assert.match(long.detail, /line of \d+ bytes/);
    const bad = (await pool.query(`SELECT raw FROM logpipe.quarantine WHERE reason = 'invalid_encoding' AND position('\\xc328ff'::bytea in raw) > 0 LIMIT 1`)).rows;
    assert.equal(bad.length, 1, 'invalid UTF-8 is kept byte for byte');
  });
}

test('reader and processor with queue.codec zstd: every line exactly once, the messages zstd frames', async () => {
  const { pool, env, prefix } = await fresh();
  const zstdEnv = { ...env, LOGPIPE_QUEUE_CODEC: 'zstd' };
  // The reader first, alone: its messages wait on the queue to be looked at.
  const reader = startCli(['reader'], zstdEnv);
  const redis = new Redis(REDIS_URL);
  try {
    const { stream } = queueKeys(prefix);
    await until(async () => (await redis.xlen(stream)) > 0, 30_000, 'a message on the queue');
    const [[, fields]] = await redis.xrangeBuffer(stream, '-', '+', 'COUNT', 1);
    const header = JSON.parse(fields[fields.findIndex((f) => f.toString() === 'h') + 1].toString());
    const body = fields[fields.findIndex((f) => f.toString() === 'b') + 1];
    assert.equal(header.z, 'zstd');
    assert.equal(body.readUInt32LE(0), 0xfd2fb528, 'the body is a zstd frame');
  } finally {
    redis.disconnect();
  }
  const processor = startCli(['processor'], zstdEnv);
  assert.equal(await reader.exited, 0, reader.output());
  processor.child.kill('SIGTERM');
  assert.equal(await processor.exited, 0, processor.output());
  await assertExactlyOnce(pool, report);
});

test('run (one process, in-process queue) gives the same result and prints the analyst queries', async () => {
  const { pool, env } = await fresh();
  const { LOGPIPE_QUEUE_URL: _, ...noQueue } = env;
  const out = await runCli(['run'], noQueue);
  assert.equal(out.code, 0, out.output);
  assert.match(out.output, /queue: memory, database: server/);
  assert.match(out.output, /counts add up: yes/);
  for (const q of ['Q1', 'Q2A', 'Q2B', 'Q3A', 'Q3B', 'Q4', 'Q5', 'Q6']) assert.match(out.output, new RegExp(`^${q} `, 'm'));
  await assertExactlyOnce(pool, report);
  // A second run finds everything committed and writes nothing.
  const again = await runCli(['run', '--no-summary'], noQueue);
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, /logpipe run: 0 records/);
  await assertExactlyOnce(pool, report);
});

test("the seed's reset (drop every public table, flush Redis) is followed by a clean run", async () => {
  const { pool, env, prefix } = await fresh();
  assert.equal((await runCli(['run', '--no-summary'], env)).code, 0);
  const tables = (await pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows.map((r) => r.tablename);
  for (const t of tables) await pool.query(`DROP TABLE public.${t} CASCADE`);
  await dropQueue(REDIS_URL, prefix);
  const refused = await runCli(['run', '--no-summary'], env);
  assert.equal(refused.code, 1, 'a role does not make the schema');
  assert.match(refused.output, /has no firewall_logs, dns_logs, auth_logs, proxy_logs: run `logpipe init-db`/);
  const init = await runCli(['init-db'], env);
  assert.match(init.output, /log tables had been dropped: bookkeeping cleared to match/);
  const out = await runCli(['run', '--no-summary'], env);
  assert.equal(out.code, 0, out.output);
  await assertExactlyOnce(pool, report);
});

for (const q of QUEUES) {
  test(`backpressure over ${q.name}: the queue never exceeds queue.maxLength and the run completes`, async () => {
    const { pool, env, prefix } = await fresh(q.url);
    const limited = { ...env, LOGPIPE_QUEUE_MAX_LENGTH: '3', LOGPIPE_CHUNK_MAX_LINES: '300' };
    const queue = testQueue(q.url, prefix, { maxLength: 3 });
    cleanups.push(() => queue.close()); // closed even when an assertion fails: an open NATS connection keeps the test process alive
    const reader = startCli(['reader'], limited);
    let maxSeen = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxSeen = Math.max(maxSeen, (await queue.stats()).depth);
        await wait(5);
      }
    })();
    // The reader fills the queue up to the limit, and waits there.
    await until(async () => (await queue.stats()).depth === 3, 20_000, 'the queue at its limit');
    const processor = startCli(['processor', '--batch-chunks', '2'], limited);
    assert.equal(await reader.exited, 0, reader.output());
    sampling = false;
    await sampler;
    processor.child.kill('SIGTERM');
    assert.equal(await processor.exited, 0);
    await queue.close();
    assert.ok(maxSeen === 3, `queue length peaked at ${maxSeen}, its limit is 3`);
    await assertExactlyOnce(pool, report);
  });

  test(`messages on ${q.name} that are not logpipe chunks are dropped with an error; everything else commits`, async () => {
    const { pool, env, prefix } = await fresh(q.url);
    const queue = testQueue(q.url, prefix);
    cleanups.push(() => queue.close()); // closed even when an assertion fails: an open NATS connection keeps the test process alive
    await queue.publish({ header: 'not json', body: Buffer.from('x') });
    await queue.publish({ header: JSON.stringify({ fileId: 1, start: 0, end: 10, firstLine: 1, lineCount: 1 }), body: Buffer.from('not deflate') });
    const processor = startCli(['processor'], env);
    const reader = await runCli(['reader'], env);
    assert.equal(reader.code, 0, reader.output);
    processor.child.kill('SIGTERM');
    assert.equal(await processor.exited, 0, processor.output());
    // Each of the two, by its id: under load a message may be claimed again before its acknowledgement lands, and dropped twice.
    const dropped = new Set([...processor.output().matchAll(/"id":"([^"]+)"[^\n]*undecodable message dropped/g)].map((m) => m[1]));
    assert.equal(dropped.size, 2, processor.output());
    assert.equal((await queue.stats()).depth, 0, 'nothing left pending in the queue');
    await queue.close();
    await assertExactlyOnce(pool, report);
  });

  test(`${q.name}: a chunk delivered queue.maxDeliveries times without a commit is quarantined whole (delivery_limit), not redelivered for ever`, async () => {
    const logs = mkdtempSync(join(tmpdir(), 'logpipe-poison-'));
    cleanups.push(async () => rmSync(logs, { recursive: true, force: true }));
    const one = generate({ files: 1, lines: 100, out: logs, seed: 12, dirty: 0 });
    const f = await pipelineFixture(logs, { LOGPIPE_MAX_DELIVERIES: '3' }, q.url);
    cleanups.push(f.cleanup);
    const reader = startCli(['reader'], f.env);
    // Three deliveries that never commit: as if each processor that took the chunk died on it.
    const taker = testQueue(q.url, f.prefix, { claimIdleMs: 500 });
    cleanups.push(() => taker.close()); // closed even when an assertion fails: an open NATS connection keeps the test process alive
    const attempts: number[] = [];
    while (attempts.length < 3) for (const d of await taker.receive(1)) attempts.push(d.attempt);
    await taker.close();
    assert.deepEqual(attempts, [1, 2, 3]);
    const processor = startCli(['processor'], { ...f.env, LOGPIPE_LOG_LEVEL: 'info' });
    assert.equal(await reader.exited, 0, reader.output());
    processor.child.kill('SIGTERM');
    assert.equal(await processor.exited, 0, processor.output());
    assert.match(processor.output(), /chunk delivered too often without a commit: quarantining its lines/);
    const q4 = (await f.pool.query(`SELECT reason, count(*)::int AS n, min(detail) AS detail FROM logpipe.quarantine GROUP BY 1`)).rows;
    assert.deepEqual(q4.map((r) => [r.reason, r.n]), [['delivery_limit', one.lines]]);
    assert.match(q4[0].detail, /^delivered 4 times without being committed \(queue\.maxDeliveries 3\)$/);
    const [file] = await fileStatuses(f.pool);
    assert.deepEqual([file.records, file.quarantined, file.balanced], [0, one.lines, true]);
  });

  test(`SIGTERM breaks the blocking read of an idle processor on ${q.name} instead of waiting it out`, async () => {
    const { env, prefix } = await fresh(q.url);
    const config = join(dir, 'long-block.json');
    writeFileSync(config, JSON.stringify({ queue: { blockMs: 30_000 } }));
    const queue = testQueue(q.url, prefix, { blockMs: 30_000 });
    cleanups.push(() => queue.close()); // closed even when an assertion fails: an open NATS connection keeps the test process alive
    const processor = startCli(['processor', '--consumer', 'idle'], { ...env, LOGPIPE_CONFIG: config });
    // It is waiting on the empty queue once the queue counts it as a consumer.
    await until(async () => ((await queue.stats()).consumers ?? 0) >= 1, 20_000, 'the processor waiting on the queue');
    const stoppedAt = Date.now();
    processor.child.kill('SIGTERM');
    assert.equal(await processor.exited, 0, processor.output());
    await queue.close();
    assert.ok(Date.now() - stoppedAt < 10_000, `exited ${Date.now() - stoppedAt} ms after SIGTERM (its blocking read is 30 s)`);
  });
}

test('a bad configuration stops the process before it starts, naming the setting', async () => {
  const out = await runCli(['processor'], { DATABASE_URL: 'postgres://x@127.0.0.1/none', REDIS_URL, LOGPIPE_BATCH_CHUNKS: 'many' });
  assert.equal(out.code, 2);
  assert.match(out.output, /processor\.batchChunks.*"many"/);
  const noQueue = await runCli(['reader'], { DATABASE_URL: 'postgres://x@127.0.0.1/none' });
  assert.equal(noQueue.code, 2);
  assert.match(noQueue.output, /the reader needs a queue other processes can reach: set REDIS_URL \(Redis Streams\) or NATS_URL \(NATS JetStream\)/);
});
