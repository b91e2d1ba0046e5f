/** Line framing at read boundaries: splits at every position, CRLF, no final newline, long lines. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChunk } from '../../src/processor/parse-chunk.js';
import type { Chunk } from '../../src/queue/chunk.js';
import { Chunker, type ChunkBounds } from '../../src/reader/chunker.js';

const BOUNDS: ChunkBounds = { maxLines: 3, maxBytes: 1 << 20, maxLineBytes: 64 };

function cut(data: Buffer, sizes: number[], bounds = BOUNDS): Chunk[] {
  const c = new Chunker(1, bounds);
  const out: Chunk[] = [];
  let pos = 0;
  let i = 0;
  while (pos < data.length) {
    const n = sizes[i++ % sizes.length];
    c.feed(data.subarray(pos, pos + n), out);
    pos += n;
  }
  return c.finish(out);
}

function summary(chunks: Chunk[]) {
  return chunks.map((c) => ({ start: c.start, end: c.end, firstLine: c.firstLine, lineCount: c.lineCount, payload: c.payload.toString('latin1'), truncated: c.truncated }));
}

const TEXT = Buffer.from('alpha\r\nbeta\n\ngamma delta\nepsilon\r\nzeta');

test('the same chunks whatever the read sizes, including splits inside CRLF and at every byte', () => {
  const reference = summary(cut(TEXT, [TEXT.length]));
  assert.deepEqual(reference.map((c) => [c.start, c.end, c.firstLine, c.lineCount]), [[0, 13, 1, 3], [13, 38, 4, 3]]);
  assert.equal(reference[1].payload, 'gamma delta\nepsilon\r\nzeta', 'last line kept without a newline');
  for (let size = 1; size <= TEXT.length; size++) assert.deepEqual(summary(cut(TEXT, [size])), reference, `reads of ${size}`);
  assert.deepEqual(summary(cut(TEXT, [1, 5, 2, 9])), reference);
});

test('chunk byte ranges tile the file exactly', () => {
  const chunks = cut(TEXT, [4]);
  let at = 0;
  for (const c of chunks) {
    assert.equal(c.start, at);
    at = c.end;
  }
  assert.equal(at, TEXT.length);
});

test('maxBytes closes a chunk before the line that would overflow it; one huge line still forms a chunk', () => {
  const data = Buffer.from('aaaa\nbbbb\ncccc\n');
  for (const size of [3, data.length]) {
    const chunks = cut(data, [size], { maxLines: 100, maxBytes: 10, maxLineBytes: 64 });
    assert.deepEqual(chunks.map((c) => c.payload.toString()), ['aaaa\nbbbb\n', 'cccc\n'], `reads of ${size}`);
  }
});

test('an over-long line keeps a prefix, records its real length, and offsets stay true', () => {
  const long = 'x'.repeat(1000);
  const data = Buffer.from(`short\n${long}\nafter\n${long}`);
  for (const size of [7, 64, 100, data.length]) {
    const chunks = cut(data, [size], { maxLines: 10, maxBytes: 1 << 20, maxLineBytes: 64 });
    assert.equal(chunks.length, 1);
    const [c] = chunks;
    assert.equal(c.end, data.length);
    assert.equal(c.lineCount, 4);
    assert.deepEqual(c.truncated, [[1, 1000], [3, 1000]]);
    assert.equal(c.payload.length, 6 + 65 + 6 + 65);
    const { rows } = parseChunk(c);
    assert.equal(rows.reasons.get('none\tline_too_long'), 2);
    assert.equal(rows.quarantined + rows.records + rows.blank, 4);
  }
});

test('resuming at a chunk boundary reproduces the same later chunks', () => {
  const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n') + '\n';
  const data = Buffer.from(lines);
  const all = cut(data, [5]);
  const resumeAt = all[2];
  const c = new Chunker(1, BOUNDS, resumeAt.start, resumeAt.firstLine);
  const rest = c.finish(c.feed(data.subarray(resumeAt.start)));
  assert.deepEqual(summary(rest), summary(all.slice(2)));
});
