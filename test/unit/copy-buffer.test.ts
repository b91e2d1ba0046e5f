/** The COPY buffer grows past its first allocation and keeps UTF-8 intact. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CopyBuffer } from '../../src/store/copy-buffer.js';

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
