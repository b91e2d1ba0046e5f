/**
 * How many chunks a processor holds, against the real database: received and not yet
 * acknowledged, never more than (concurrency + 1) × batchChunks — one batch parsed ahead besides
 * the batches being committed. The processor's peak memory follows this bound (README, Memory).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/logger.js';
import { generate } from '../../src/generator/generate.js';
import { NoMetrics } from '../../src/metrics/metrics.js';
import { ParsePool } from '../../src/processor/parse-pool.js';
import { Processor } from '../../src/processor/processor.js';
import { encodeChunk } from '../../src/queue/chunk.js';
import { openQueue } from '../../src/queue/registry.js';
import { QueueCommonSettings } from '../../src/queue/types.js';
import { Chunker } from '../../src/reader/chunker.js';
import { createPool, withClient } from '../../src/store/db.js';
import { registerFile } from '../../src/store/files.js';
import { initDb } from '../../src/store/init.js';
import { tempDatabase, type TempDatabase } from '../helpers/services.js';

const log = createLogger('silent');
let dir: string;
let db: TempDatabase;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'logpipe-held-'));
  db = await tempDatabase();
});
after(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

test('a processor holds at most (concurrency + 1) × batchChunks chunks, and commits every one', async () => {
  const batchChunks = 3;
  const concurrency = 2;
  const config = loadConfig({ env: { DATABASE_URL: db.url, LOGPIPE_BATCH_CHUNKS: String(batchChunks), LOGPIPE_PROCESSOR_CONCURRENCY: String(concurrency) } });
  const pool = createPool(db.url, concurrency + 1);
  const parser = new ParsePool(1, log);
  const queue = openQueue({ ...QueueCommonSettings.parse({ prefix: `held-${process.pid}`, maxLength: 1000, blockMs: 50 }), kind: 'memory' }, 'test', 1000);
  try {
    await withClient(pool, (c) => initDb(c));
    const report = generate({ files: 1, lines: 24_000, out: dir, seed: 5, dirty: 0 });
    const bytes = readFileSync(report.files[0]);
    const file = await registerFile(pool, bytes.subarray(0, 1024), report.files[0], false, { maxLines: 400, maxBytes: 1 << 20 });
    const chunker = new Chunker(file.id, { maxLines: 400, maxBytes: 1 << 20, maxLineBytes: 4096 });
    const chunks = chunker.finish(chunker.feed(bytes));
    assert.equal(chunks.length, 60);

    // Received and not yet acknowledged, as the queue sees the processor.
    let held = 0;
    let maxHeld = 0;
    const receive = queue.receive.bind(queue);
    const ack = queue.ack.bind(queue);
    queue.receive = async (max) => {
      const got = await receive(max);
      held += got.length;
      maxHeld = Math.max(maxHeld, held);
      return got;
    };
    queue.ack = async (ids) => {
      await ack(ids);
      held -= ids.length;
    };
    for (const c of chunks) await queue.publish(await encodeChunk(c));

    const processor = new Processor(pool, queue, parser, config, log, new NoMetrics());
    const running = processor.run();
    while (processor.totals.chunks < chunks.length) await new Promise((r) => setTimeout(r, 20));
    processor.stop();
    const totals = await running;

    assert.equal(totals.chunks, chunks.length, 'every chunk committed');
    assert.equal(totals.records + totals.quarantined + totals.blank, 24_000, 'every line a row, a quarantined line or a blank');
    const limit = (concurrency + 1) * batchChunks;
    assert.ok(maxHeld <= limit, `at most ${limit} chunks held, saw ${maxHeld}`);
    assert.ok(maxHeld > concurrency * batchChunks, `a batch parsed ahead while others commit (saw at most ${maxHeld} held)`);
  } finally {
    await queue.destroy();
    await queue.close();
    await parser.close();
    await pool.end();
  }
});
