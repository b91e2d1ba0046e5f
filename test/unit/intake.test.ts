/**
 * The processor's intake over the in-process queue with real parse threads: every message is
 * handed out exactly once, in order, to loops taking batches at the same time; memory stays
 * bounded; stopping hands out what is held, then nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generate } from '../../src/generator/generate.js';
import { createLogger } from '../../src/core/logger.js';
import { NoMetrics } from '../../src/metrics/metrics.js';
import { Intake, type Taken } from '../../src/processor/intake.js';
import { ParsePool } from '../../src/processor/parse-pool.js';
import { encodeChunk, type Chunk, type EncodedChunk } from '../../src/queue/chunk.js';
import { openQueue } from '../../src/queue/registry.js';
import { QueueCommonSettings } from '../../src/queue/types.js';
import { Chunker } from '../../src/reader/chunker.js';

/** An in-process queue of its own (its prefix names it), answering within `blockMs`. */
function memoryQueue(maxLength: number, blockMs: number) {
  const name = `intake-${Math.random().toString(36).slice(2)}`;
  return openQueue({ ...QueueCommonSettings.parse({ prefix: name, maxLength, blockMs }), kind: 'memory' }, 'test', 1000);
}

let dir: string;
let messages: EncodedChunk[];
let chunks: Chunk[];
let parser: ParsePool;
const log = createLogger('silent');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'logpipe-intake-'));
  const report = generate({ files: 1, lines: 12_000, out: dir, seed: 9, dirty: 0 });
  const chunker = new Chunker(3, { maxLines: 500, maxBytes: 1 << 20, maxLineBytes: 4096 });
  chunks = chunker.finish(chunker.feed(readFileSync(report.files[0])));
  messages = await Promise.all(chunks.map((c) => encodeChunk(c)));
  parser = new ParsePool(2, log);
});
after(async () => {
  await parser.close();
  rmSync(dir, { recursive: true, force: true });
});

test('two loops taking batches get every message once, in order, with a bounded number in hand', async () => {
  const queue = memoryQueue(1000, 50);
  const capacity = 6;
  const intake = new Intake(queue, parser, capacity, 10, log, new NoMetrics());
  const receiving = intake.run();
  let maxHeld = 0;
  const got: Taken[][] = [[], []];
  const loop = async (i: number) => {
    for (;;) {
      const batch = await intake.take(4);
      if (batch.length === 0) return;
      assert.ok(batch.length <= 4);
      maxHeld = Math.max(maxHeld, (await queue.stats()).pending);
      got[i].push(...batch);
      await new Promise((r) => setTimeout(r, 2)); // a commit
      await queue.ack(batch.map((t) => t.id));
    }
  };
  const loops = [loop(0), loop(1)];
  for (const m of messages) await queue.publish(m);
  while ((await queue.stats()).depth > 0) await new Promise((r) => setTimeout(r, 5));
  intake.stop();
  await Promise.all(loops);
  await receiving;
  const all = [...got[0], ...got[1]].sort((a, b) => Number(a.id) - Number(b.id));
  assert.equal(all.length, messages.length, 'every message handed out');
  assert.deepEqual(all.map((t) => t.pending!.prepared.range.start), chunks.map((c) => c.start), 'each once, each with its own chunk');
  assert.ok(got[0].length > 0 && got[1].length > 0, 'both loops got work');
  for (const g of got) for (let i = 1; i < g.length; i++) assert.ok(Number(g[i].id) > Number(g[i - 1].id), 'in arrival order');
  // Held by the intake (capacity) plus the batches the two loops are committing.
  assert.ok(maxHeld <= capacity + 2 * 4, `at most ${capacity + 8} received and not acknowledged, saw ${maxHeld}`);
});

test('a message that is not a chunk is handed out to be acknowledged; stop hands out what is held, then []', async () => {
  const queue = memoryQueue(100, 50);
  const intake = new Intake(queue, parser, 10, 10, log, new NoMetrics());
  await queue.publish(messages[0]);
  await queue.publish({ header: 'not json', body: Buffer.from('x') });
  await queue.publish(messages[1]);
  const receiving = intake.run();
  const taken: Taken[] = [];
  while (taken.length < 3) taken.push(...(await intake.take(10)));
  intake.stop();
  await receiving;
  assert.deepEqual(taken.map((t) => t.pending === null), [false, true, false]);
  assert.deepEqual(await intake.take(10), []);
});
