/**
 * Parse threads: a chunk parsed on a worker thread comes back exactly as parsing it inline gives
 * it (bytes, counts, rollups), messages that are not chunks are told apart from bugs, answers
 * never go to the wrong caller, committed rows' memory goes back to be written again, and a
 * thread that dies is replaced.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generate } from '../../src/generator/generate.js';
import { createLogger } from '../../src/core/logger.js';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { parseChunk, prepareChunk } from '../../src/processor/parse-chunk.js';
import { ParsePool } from '../../src/processor/parse-pool.js';
import { BadChunk, CODECS, encodeChunk, type Chunk } from '../../src/queue/chunk.js';
import { Chunker } from '../../src/reader/chunker.js';
import { segmentsOf } from '../../src/store/copy-buffer.js';
import type { ChunkRows } from '../../src/store/rows.js';

let dir: string;
let chunks: Chunk[];
const log = createLogger('silent');

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'logpipe-parse-pool-'));
  // Dirty lines (bad IPs, NUL bytes, invalid UTF-8, over-long lines…) so both parse paths run.
  const report = generate({ files: 1, lines: 6_000, out: dir, seed: 5, dirty: 0.05 });
  const chunker = new Chunker(7, { maxLines: 1_000, maxBytes: 1 << 20, maxLineBytes: 2_048 });
  chunks = chunker.finish(chunker.feed(readFileSync(report.files[0])));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function comparable(r: ChunkRows) {
  return {
    rows: r.rows.map((b) => [b.rows, b.bytes().toString('base64')]),
    quarantine: [r.quarantine.rows, r.quarantine.bytes().toString('base64')],
    counts: [r.records, r.quarantined, r.blank, r.lineCount],
    days: [...r.days].sort(),
    hours: [...r.hours].sort(),
    rollups: r.rollups,
    reasons: [...r.reasons].sort(),
  };
}

for (const codec of CODECS) test(`a chunk parsed on a thread equals the chunk parsed inline (queue codec ${codec})`, async () => {
  const pool = new ParsePool(2, log);
  try {
    assert.ok(chunks.length >= 6);
    const parsed = await Promise.all(chunks.map(async (c) => pool.prepare(await encodeChunk(c, codec))));
    assert.ok(parsed.some((p) => p.rows.quarantined > 0), 'the data has quarantined lines');
    parsed.forEach((p, i) => {
      const { payload: _, ...header } = chunks[i];
      assert.deepEqual(p.range, header, `chunk ${i}: header`);
      const inline = parseChunk(chunks[i]);
      assert.deepEqual(p.segments, inline.segments, `chunk ${i}: segments`);
      assert.deepEqual(comparable(p.rows), comparable(inline.rows), `chunk ${i}: rows`);
    });
  } finally {
    await pool.close();
  }
});

test('the fast path decodes a chunk in pieces: lines across their ends, blank lines at them, multi-byte text and long lines come out as line by line', () => {
  const examples = LOG_TYPES.flatMap((t) => t.examples);
  const lines: string[] = [];
  for (let i = 0; i < 3_000; i++) {
    lines.push(examples[i % examples.length]);
    if (i % 7 === 0) lines.push('');
    if (i % 11 === 0) lines.push(`${'ü'.repeat(i % 50)} not a log line ✓`);
    if (i % 997 === 0) lines.push('x'.repeat(40_000)); // longer than a piece
  }
  const payload = Buffer.from(lines.join('\n') + '\n');
  assert.ok(payload.length > 8 * 32 * 1024, 'many pieces');
  const chunk: Chunk = { fileId: 1, start: 0, end: payload.length, firstLine: 1, lineCount: lines.length, payload };
  const fast = parseChunk(chunk);
  // Not committed anywhere: the line-by-line path over every line.
  const byLine = prepareChunk(chunk, { kind: 'uncommitted', covered: [] });
  assert.equal(fast.rows.lineCount, lines.length);
  assert.deepEqual(comparable(fast.rows), comparable(byLine.rows));
  assert.deepEqual(fast.segments, byLine.segments);
  for (const lineCount of [lines.length - 1, lines.length + 1]) {
    assert.throws(() => parseChunk({ ...chunk, lineCount }), BadChunk, `a header saying ${lineCount} lines`);
  }
});

test('committed rows\' segments go back to the threads (moved: empty here) and the chunks after them come out the same', async () => {
  const pool = new ParsePool(1, log);
  try {
    // Chunks of 5,000 clean lines, as the reader cuts them: big enough to fill whole segments.
    const lines = LOG_TYPES.flatMap((t) => t.examples);
    const payload = Buffer.from(Array.from({ length: 5_000 }, (_, i) => lines[i % lines.length]).join('\n') + '\n');
    const encoded = await Promise.all([1, 2, 3].map((fileId) => encodeChunk({ fileId, start: 0, end: payload.length, firstLine: 1, lineCount: 5_000, payload })));
    const first = await Promise.all(encoded.map((m) => pool.prepare(m)));
    const expected = first.map((p) => comparable(p.rows));
    const whole = segmentsOf(first.flatMap((p) => [...p.rows.rows, p.rows.quarantine]));
    assert.ok(whole.length > 0, 'the chunks filled whole segments');
    pool.recycle(whole);
    assert.ok(whole.every((s) => s.byteLength === 0), 'moved to the thread, detached here');
    const again = await Promise.all(encoded.map((m) => pool.prepare(m)));
    again.forEach((p, i) => assert.deepEqual(comparable(p.rows), expected[i], `chunk ${i}`));
  } finally {
    await pool.close();
  }
});

test('each thread gets the young generation asked for (processor.parseYoungGenerationMb), V8\'s own otherwise', async () => {
  const sized = new ParsePool(2, log, undefined, undefined, 16);
  const plain = new ParsePool(1, log);
  try {
    const message = await encodeChunk(chunks[0]);
    await Promise.all([sized, plain].map((p) => p.prepare(message))); // started and working
    assert.deepEqual(sized.resourceLimits().map((l) => l?.maxYoungGenerationSizeMb), [16, 16]);
    assert.notEqual(plain.resourceLimits()[0]?.maxYoungGenerationSizeMb, 16);
  } finally {
    await Promise.all([sized.close(), plain.close()]);
  }
});

test('messages that are not chunks are BadChunk; the threads keep working', async () => {
  const pool = new ParsePool(1, log);
  try {
    const good = await encodeChunk(chunks[0]);
    await assert.rejects(pool.prepare({ header: 'not json', body: good.body }), BadChunk);
    await assert.rejects(pool.prepare({ header: good.header, body: Buffer.from('not deflate') }), BadChunk);
    // A body its codec cannot decode, for each codec that compresses (zstd's is asynchronous).
    for (const codec of ['lz4', 'zstd'] as const) {
      const encoded = await encodeChunk(chunks[0], codec);
      await assert.rejects(pool.prepare({ header: encoded.header, body: Buffer.from(`not ${codec}`) }), BadChunk, codec);
      await assert.rejects(pool.prepare({ header: encoded.header, body: encoded.body.subarray(0, encoded.body.length >> 1) }), BadChunk, `${codec}, cut short`);
    }
    const lying = JSON.stringify({ ...JSON.parse(good.header), lineCount: chunks[0].lineCount + 1 });
    await assert.rejects(pool.prepare({ header: lying, body: good.body }), BadChunk);
    assert.equal((await pool.prepare(good)).rows.lineCount, chunks[0].lineCount);
  } finally {
    await pool.close();
  }
});

test('a body that would decompress to more than its chunk\'s byte range is refused before it is (a decompression bomb), for every codec', async () => {
  const pool = new ParsePool(1, log);
  try {
    // 64 MB of one byte under the header of a 1,000-line chunk: what a forged or corrupt message could carry.
    const huge: Chunk = { ...chunks[0], payload: Buffer.alloc(64 * 1024 * 1024, 0x61) };
    // Refused from the sizes the body declares (lz4, zstd), while inflating (deflate), or by its length (none).
    const why = { lz4: /lz4 body declares more bytes/, zstd: /zstd body may hold more bytes/, deflate: /larger than/, none: /bytes of lines for a range/ };
    for (const codec of CODECS) {
      const bomb = await encodeChunk(huge, codec);
      const honest = await encodeChunk(chunks[0], codec);
      await assert.rejects(pool.prepare({ header: honest.header, body: bomb.body }), (e: Error) => e instanceof BadChunk && why[codec].test(e.message), codec);
    }
    // lz4's declared size is what it allocates: a forged one is refused unread.
    const lz4 = await encodeChunk(chunks[0], 'lz4');
    const forged = Buffer.from(lz4.body);
    forged.writeUInt32LE(0xffffffff, 0);
    await assert.rejects(pool.prepare({ header: lz4.header, body: forged }), /lz4 body declares more bytes/);
    // A byte range that is not one.
    const backwards = JSON.stringify({ ...JSON.parse(lz4.header), end: chunks[0].start - 1 });
    await assert.rejects(pool.prepare({ header: backwards, body: lz4.body }), BadChunk);
    assert.equal((await pool.prepare(lz4)).rows.lineCount, chunks[0].lineCount, 'the thread goes on');
  } finally {
    await pool.close();
  }
});

test('a thread that dies fails only what it held and is replaced', async () => {
  const pool = new ParsePool(1, log);
  try {
    const good = await encodeChunk(chunks[1]);
    // Reach in to kill the thread as an out-of-memory abort would.
    const threads = (pool as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads;
    const held = pool.prepare(good);
    await threads[0].worker.terminate();
    await assert.rejects(held, /parse thread exited/);
    assert.equal((await pool.prepare(good)).rows.lineCount, chunks[1].lineCount);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.prepare(await encodeChunk(chunks[0])), /closed/);
});

test("the threads' busy and CPU seconds grow with the chunks they parse and never go back, a dead thread's included", async () => {
  const pool = new ParsePool(1, log);
  const linux = process.platform === 'linux';
  try {
    const messages = await Promise.all(chunks.map((c) => encodeChunk(c)));
    await pool.prepare(messages[0]); // started, and has said which thread it is
    const before = pool.usage();
    for (let r = 0; r < 5; r++) await Promise.all(messages.map((m) => pool.prepare(m)));
    const after = pool.usage();
    assert.ok(after.busySeconds > before.busySeconds, `busy ${before.busySeconds} → ${after.busySeconds} s after ${5 * messages.length} chunks`);
    if (linux) {
      assert.ok(before.cpuSeconds !== null && after.cpuSeconds !== null, 'CPU time read through /proc');
      assert.ok(after.cpuSeconds >= before.cpuSeconds, `CPU ${before.cpuSeconds} → ${after.cpuSeconds} s`);
      // Its own CPU, not the process's: at most what the process spent.
      assert.ok(after.cpuSeconds <= process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6);
    }
    // A thread that dies: what it had spent still counts, and its replacement adds to it. Read
    // as soon as the replacement exists, before it has said which thread it is.
    const threads = (pool as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads;
    const dead = threads[0].worker;
    await dead.terminate();
    while (threads[0].worker === dead) await new Promise((r) => setImmediate(r));
    const replaced = pool.usage();
    assert.ok(replaced.busySeconds >= after.busySeconds, 'no step back in busy time when a thread is replaced');
    if (linux) assert.ok(replaced.cpuSeconds !== null && replaced.cpuSeconds >= after.cpuSeconds!, `nor in CPU time: ${after.cpuSeconds} → ${replaced.cpuSeconds}`);
    for (let r = 0; r < 2; r++) await Promise.all(messages.map((m) => pool.prepare(m)));
    assert.ok(pool.usage().busySeconds > replaced.busySeconds, 'the new thread counts too');
  } finally {
    await pool.close();
  }
});

test('threads that keep dying make every parse fail instead of being restarted forever', async () => {
  const script = join(dir, 'broken-worker.mjs');
  writeFileSync(script, "throw new Error('cannot start');\n");
  const pool = new ParsePool(1, log, new URL(`file://${script}`));
  try {
    const message = await encodeChunk(chunks[0]);
    // Each failure comes from a thread that died; after a few the pool gives up for good.
    let last: Error | null = null;
    for (let i = 0; i < 10 && !/keep dying/.test(last?.message ?? ''); i++) {
      last = await pool.prepare(message).then(() => null, (err: Error) => err);
      assert.ok(last, 'a broken thread parses nothing');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(last!.message, /parse threads keep dying/);
    await assert.rejects(pool.prepare(message), /keep dying/);
  } finally {
    await pool.close();
  }
});
