/** The benchmark's data set takes its shape from its directory; a different shape asked for is an error, never a silent default. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataSetMismatch, openDataSet } from '../../src/bench/dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'logpipe-dataset-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ask = (o: Partial<Parameters<typeof openDataSet>[0]>) =>
  openDataSet({ dir, files: 5, linesPerFile: 50_000, seed: 1, filesGiven: false, linesGiven: false, log: () => {}, ...o });

test('an empty directory is generated with the asked shape; a full one is used as it is', () => {
  const made = ask({ files: 3, linesPerFile: 1_000, filesGiven: true, linesGiven: true });
  assert.deepEqual([made.files.length, made.lines, made.totalLines], [3, [1_000, 1_000, 1_000], 3_000]);
  // The defaults (5 × 50,000) are not what the directory holds: its own shape wins.
  const again = ask({});
  assert.deepEqual([again.files.length, again.totalLines], [3, 3_000]);
});

test('--files or --lines given with a directory of another shape is an error naming both', () => {
  assert.throws(() => ask({ files: 5, filesGiven: true }), (e: Error) => e instanceof DataSetMismatch && /holds 3 files of 1,000 lines, not the 5 files asked for/.test(e.message));
  assert.throws(() => ask({ linesPerFile: 2_000, linesGiven: true }), /holds 3 files of 1,000 lines, not the files of 2,000 lines asked for/);
  assert.equal(ask({ files: 3, filesGiven: true, linesPerFile: 1_000, linesGiven: true }).totalLines, 3_000);
});
