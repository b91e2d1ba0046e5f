/**
 * The COPY buffer grows past its first allocation and keeps UTF-8 intact; segments given back
 * after a commit are written again without a byte of their old rows showing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { configureParsing, DEFAULT_PARSE_SETTINGS, parseChunk } from '../../src/processor/parse-chunk.js';
import { CopyBuffer, reuseSegments, SEGMENT_BYTES, segmentsOf, spareSegments } from '../../src/store/copy-buffer.js';

test('rows of any size and script come out byte for byte', () => {
  const b = new CopyBuffer();
  const rows: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const row = `${i}\tcafé ☕ 𝄞 ${'x'.repeat(i % 97)}\n`;
    rows.push(row);
    b.pushRow(row);
  }
  const big = `${'é'.repeat(200_000)}\n`; // larger than the buffer's growth step
  rows.push(big);
  b.pushRow(big);
  assert.equal(b.rows, rows.length);
  assert.deepEqual(b.bytes(), Buffer.from(rows.join('')));
});

for (const copyFormat of ['binary', 'text'] as const) test(`segments given back are written again: ${copyFormat} rows in reused memory are the same bytes as in new memory`, () => {
  configureParsing({ ...DEFAULT_PARSE_SETTINGS, copyFormat });
  try {
    const payload = Buffer.from(LOG_TYPES.flatMap((t) => t.examples).join('\n').repeat(400) + '\n');
    const lineCount = payload.toString().split('\n').length - 1;
    const parse = () => parseChunk({ fileId: 1, start: 0, end: payload.length, firstLine: 1, lineCount, payload }).rows;
    const fresh = parse();
    const expected = fresh.rows.map((b) => b.bytes().toString('base64'));
    // Give back its whole segments, filled with garbage first: a writer must send only what it wrote.
    const whole = segmentsOf(fresh.rows);
    assert.ok(whole.length > 0, 'the chunk filled at least one whole segment');
    assert.deepEqual(whole.map((s) => s.byteLength), whole.map(() => SEGMENT_BYTES));
    assert.equal(new Set(whole).size, whole.length, 'each once');
    for (const s of whole) new Uint8Array(s).fill(0xff);
    const before = spareSegments();
    reuseSegments(whole);
    assert.equal(spareSegments(), before + whole.length);
    const again = parse();
    assert.ok(spareSegments() < before + whole.length, 'the next chunk took segments from those given back');
    assert.deepEqual(again.rows.map((b) => b.bytes().toString('base64')), expected);
  } finally {
    configureParsing(DEFAULT_PARSE_SETTINGS);
  }
});

test('only whole segments are kept for reuse, and no more than a bounded number', () => {
  const before = spareSegments();
  reuseSegments([new ArrayBuffer(1024), new ArrayBuffer(SEGMENT_BYTES + 1)]);
  assert.equal(spareSegments(), before, 'other sizes are left to the garbage collector');
  reuseSegments(Array.from({ length: 200 }, () => new ArrayBuffer(SEGMENT_BYTES)));
  const bounded = spareSegments();
  assert.ok(bounded <= 64, `at most 64 kept (${bounded})`);
  reuseSegments([new ArrayBuffer(SEGMENT_BYTES)]);
  assert.equal(spareSegments(), bounded);
});

test('a text row after parts() starts a new segment: a sealed one is never written into again', () => {
  const b = new CopyBuffer();
  b.pushRow('a\n');
  const first = b.parts().map((p) => Buffer.from(p));
  b.pushRow('b\n');
  assert.deepEqual(first, [Buffer.from('a\n')]);
  assert.equal(b.bytes().toString(), 'a\nb\n');
});
