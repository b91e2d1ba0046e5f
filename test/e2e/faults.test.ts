/**
 * Crashes, for real: SIGKILL at random points (seeded, printed) over each shared queue, lost
 * queue contents, a NATS server restart, a PostgreSQL restart and a PostgreSQL crash (SIGKILL),
 * each ending with exactly the expected rows, none missing, none twice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { generate, type GenerateReport } from '../../src/generator/generate.js';
import { Rng } from '../../src/core/rng.js';
import { wait } from '../../src/core/wait.js';
import { dropQueue, NATS_URL, pgCluster, pgCtl, privateNatsServer, REDIS_URL } from '../helpers/services.js';
import { assertExactlyOnce, committedLines, killStragglers, pipelineFixture, startCli, until, type PipelineFixture, type Proc } from '../helpers/pipeline.js';

const QUEUES = [{ name: 'Redis', url: REDIS_URL }, { name: 'NATS JetStream', url: NATS_URL }];

const SEED = Number(process.env.LOGPIPE_FAULT_SEED ?? Date.now() % 100_000);
const rng = new Rng(SEED);
let dir: string;
let report: GenerateReport;
const cleanups: (() => Promise<void>)[] = [];

before(() => {
  console.log(`# fault test seed ${SEED} (rerun with LOGPIPE_FAULT_SEED=${SEED})`);
  dir = mkdtempSync(join(tmpdir(), 'logpipe-faults-'));
  report = generate({ files: 4, lines: 20_000, out: dir, seed: 21, dirty: 0.02 });
});
// A failed test must not leave its processes running into the next one.
afterEach(killStragglers);
after(async () => {
  for (const c of cleanups.reverse()) await c(); // last made, first removed (a fixture before the server it runs on)
  rmSync(dir, { recursive: true, force: true });
});

async function setup(extra: Record<string, string> = {}, queueUrl = REDIS_URL): Promise<PipelineFixture> {
  const f = await pipelineFixture(dir, { LOGPIPE_CHUNK_MAX_LINES: '500', LOGPIPE_BATCH_CHUNKS: '2', LOGPIPE_SETTLE_MS: '0', ...extra }, queueUrl);
  cleanups.push(f.cleanup);
  return f;
}

async function kill(p: Proc): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

async function finish(reader: Proc, processors: Proc[]): Promise<void> {
  const code = await reader.exited;
  assert.equal(code, 0, reader.output());
  for (const p of processors) p.child.kill('SIGTERM');
  for (const p of processors) assert.equal(await p.exited, 0, p.output());
}

for (const q of QUEUES) {
  test(`${q.name}: processor SIGKILLed mid-batch, three times: exactly once`, { timeout: 180_000 }, async () => {
    const { pool, env } = await setup({ LOGPIPE_QUEUE_MAX_LENGTH: '8' }, q.url);
    const reader = startCli(['reader'], env);
    for (let i = 0; i < 3; i++) {
      const before = await committedLines(pool);
      const p = startCli(['processor'], env);
      // Killed a random moment after its first commit, while it holds batches in flight.
      await until(async () => (await committedLines(pool)) > before || p.child.exitCode !== null, 20_000, 'a commit');
      await wait(rng.int(0, 150));
      await kill(p);
    }
    assert.ok((await committedLines(pool)) < report.lines, 'the kills happened before the end');
    await finish(reader, [startCli(['processor'], env)]);
    await assertExactlyOnce(pool, report);
  });

  test(`${q.name}: reader SIGKILLed mid-file, three times: exactly once`, { timeout: 180_000 }, async () => {
    const { pool, env } = await setup({ LOGPIPE_QUEUE_MAX_LENGTH: '4' }, q.url);
    const processor = startCli(['processor'], env);
    for (let i = 0; i < 3; i++) {
      const r = startCli(['reader'], env);
      // Killed at a random point of its progress (not after a fixed time: a fast pipeline would
      // finish first), each time further on.
      const target = Math.floor(report.lines * (i + rng.int(2, 8) / 10) / 4);
      await until(async () => (await committedLines(pool)) >= target || r.child.exitCode !== null, 60_000, `${target} lines committed`);
      await kill(r);
    }
    assert.ok((await committedLines(pool)) < report.lines, 'the kills happened before the end');
    await finish(startCli(['reader'], env), [processor]);
    await assertExactlyOnce(pool, report);
  });

  test(`${q.name}: two processors sharing the queue, one SIGKILLed: the other gets its messages`, { timeout: 180_000 }, async () => {
    const { pool, env } = await setup({ LOGPIPE_QUEUE_MAX_LENGTH: '8' }, q.url);
    const a = startCli(['processor', '--consumer', 'a'], env);
    const b = startCli(['processor', '--consumer', 'b'], env);
    const reader = startCli(['reader'], env);
    await until(async () => (await committedLines(pool)) > 0, 20_000, 'first commit');
    await wait(rng.int(50, 300));
    await kill(a);
    await finish(reader, [b]);
    await assertExactlyOnce(pool, report);
  });
}

test('Redis database flushed mid-run: the reader republishes what was lost', { timeout: 180_000 }, async () => {
  // A Redis database of its own, so FLUSHDB touches nothing else.
  const url = `${REDIS_URL}/13`;
  const { pool, env } = await setup({ LOGPIPE_QUEUE_URL: url, LOGPIPE_QUEUE_MAX_LENGTH: '16' });
  const redis = new Redis(url);
  cleanups.push(async () => {
    await redis.flushdb();
    redis.disconnect();
  });
  const processor = startCli(['processor'], env);
  const reader = startCli(['reader'], env);
  await until(async () => (await committedLines(pool)) > 0, 20_000, 'first commit');
  await redis.flushdb();
  await finish(reader, [processor]);
  assert.match(reader.output(), /queue lost messages/);
  await assertExactlyOnce(pool, report);
});

test('NATS stream deleted mid-run: the reader republishes what was lost', { timeout: 180_000 }, async () => {
  const { pool, env, prefix } = await setup({ LOGPIPE_QUEUE_MAX_LENGTH: '16' }, NATS_URL);
  const processor = startCli(['processor'], env);
  const reader = startCli(['reader'], env);
  await until(async () => (await committedLines(pool)) > 0, 20_000, 'first commit');
  await dropQueue(NATS_URL, prefix); // the stream deleted under the running pipeline
  await finish(reader, [processor]);
  assert.match(reader.output(), /queue lost messages/);
  await assertExactlyOnce(pool, report);
});

test('NATS server SIGKILLed and restarted mid-run: its file store keeps the queue, nothing is lost or doubled', { timeout: 180_000 }, async (t) => {
  const nats = await privateNatsServer();
  if (!nats) return t.skip('no nats-server binary');
  cleanups.push(() => nats.stop());
  const { pool, env } = await setup({ LOGPIPE_QUEUE_MAX_LENGTH: '16' }, nats.url);
  const processor = startCli(['processor'], env);
  const reader = startCli(['reader'], env);
  await until(async () => (await committedLines(pool)) > 0, 20_000, 'first commit');
  const before = await committedLines(pool);
  await nats.kill();
  await nats.start();
  await finish(reader, [processor]);
  assert.ok(before < report.lines, 'the restart happened before the end');
  assert.doesNotMatch(reader.output(), /queue lost messages/, 'the stream survived the restart');
  await assertExactlyOnce(pool, report);
});

test('PostgreSQL restarted mid-run: both roles wait, retry and finish exactly once', { timeout: 180_000, skip: pgCluster() === null && 'needs root and pg_ctlcluster' }, async () => {
  const { pool, env } = await setup({ LOGPIPE_QUEUE_MAX_LENGTH: '8' });
  const processor = startCli(['processor'], env);
  const reader = startCli(['reader'], env);
  await until(async () => (await committedLines(pool)) > 0, 20_000, 'first commit');
  pgCtl('restart');
  await finish(reader, [processor]);
  assert.match(processor.output() + reader.output(), /database unavailable/);
  await assertExactlyOnce(pool, report);
});

test('PostgreSQL SIGKILLed mid-run, postmaster and backends (crash recovery at its start): exactly once', { timeout: 180_000, skip: pgCluster() === null && 'needs root and pg_ctlcluster' }, async () => {
  const { pool, env } = await setup({ LOGPIPE_QUEUE_MAX_LENGTH: '8' });
  const processor = startCli(['processor'], env);
  const reader = startCli(['reader'], env);
  await until(async () => (await committedLines(pool)) > 0, 20_000, 'first commit');
  // A random moment while batches are in flight: what was committed must survive, what was not
  // must come back through the queue or the reader, and nothing twice.
  await wait(rng.int(0, 150));
  const before = await committedLines(pool);
  pgCtl('crash');
  await finish(reader, [processor]);
  assert.ok(before < report.lines, 'the crash happened before the end');
  assert.match(processor.output() + reader.output(), /database unavailable/);
  await assertExactlyOnce(pool, report);
});
