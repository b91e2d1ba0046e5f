/**
 * `reader --follow` end to end, with real processes: a file written in pieces (one ending in the
 * middle of a line), rotated away and replaced by a new file under the same name, then truncated
 * in place and written again (logrotate's copytruncate), all committed exactly once while the
 * reader keeps running; SIGTERM then stops both roles cleanly.
 */
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { generate } from '../../src/generator/generate.js';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { wait } from '../../src/core/wait.js';
import { committedLines, killStragglers, pipelineFixture, startCli, until } from '../helpers/pipeline.js';
import { TempPaths } from '../helpers/temp.js';

const temp = new TempPaths('logpipe-follow-');
afterEach(killStragglers);
after(() => temp.removeAll());

test('following: pieces, a partial line, rotation, copytruncate, each line once', { timeout: 120_000 }, async () => {
  const staging = temp.dir();
  const report = generate({ files: 3, lines: 3_000, out: staging, seed: 17, dirty: 0 });
  const [first, second, third] = report.files.map((f) => readFileSync(f));
  const logDir = temp.dir();
  const config = join(staging, 'follow.json');
  writeFileSync(config, JSON.stringify({ chunk: { maxLines: 500, flushMs: 200 }, reader: { pollMs: 100 } }));
  const f = await pipelineFixture(logDir, { LOGPIPE_CONFIG: config });
  try {
    const processor = startCli(['processor'], f.env);
    const reader = startCli(['reader', '--follow'], { ...f.env, LOGPIPE_LOG_LEVEL: 'info', LOGPIPE_LOG_FORMAT: 'json' });
    const live = join(logDir, 'app.log');

    // The first file arrives in three pieces; the first ends in the middle of a line.
    const cut1 = first.indexOf(10, Math.floor(first.length / 3)) + 20;
    const cut2 = first.indexOf(10, Math.floor((2 * first.length) / 3)) + 1;
    writeFileSync(live, first.subarray(0, cut1));
    const completeInPiece1 = first.subarray(0, cut1).toString('latin1').split('\n').length - 1;
    await until(async () => (await committedLines(f.pool)) === completeInPiece1, 20_000, 'the complete lines of the first piece');
    await wait(400); // longer than flushMs: the partial line must still not be sent (nothing to wait for: an absence)
    assert.equal(await committedLines(f.pool), completeInPiece1, 'a partial line waits for its newline');
    appendFileSync(live, first.subarray(cut1, cut2));
    appendFileSync(live, first.subarray(cut2));
    await until(async () => (await committedLines(f.pool)) === 3_000, 20_000, 'the whole first file');

    // Rotation: the file moves to app.log.1 (still followed, as the same file), a new file takes its name.
    renameSync(live, join(logDir, 'app.log.1'));
    writeFileSync(live, second);
    await until(async () => (await committedLines(f.pool)) === 6_000, 20_000, 'the new file');

    // copytruncate: the content is copied away, the file emptied in place and written again.
    copyFileSync(live, join(logDir, 'app.log.2'));
    truncateSync(live, 0);
    await until(async () => /file truncated/.test(reader.output()), 20_000, 'the reader seeing it shrink');
    writeFileSync(live, third);
    await until(async () => (await committedLines(f.pool)) === 9_000, 20_000, 'the file written again after truncation');

    reader.child.kill('SIGTERM');
    processor.child.kill('SIGTERM');
    assert.equal(await reader.exited, 0, reader.output());
    assert.equal(await processor.exited, 0, processor.output());

    for (const t of LOG_TYPES) {
      const n = (await f.pool.query(`SELECT count(*)::int AS n FROM public.${t.table}`)).rows[0].n;
      assert.equal(n, report.records[t.name], `${t.table} rows`);
    }
    const union = LOG_TYPES.map((t) => `SELECT file_id, line_no FROM public.${t.table}`).join(' UNION ALL ');
    const dups = (await f.pool.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM (${union}) u GROUP BY file_id, line_no HAVING count(*) > 1) d`)).rows[0].n;
    assert.equal(dups, 0, 'no line written twice');
    const files = (await f.pool.query(`SELECT path, lines_read FROM logpipe.files ORDER BY id`)).rows;
    assert.equal(files.length, 3, 'the rotated file, the new one and the one written after truncation');
    assert.deepEqual(files.map((x) => x.lines_read), [3_000, 3_000, 3_000], 'each read to its end');
    assert.equal(files[0].path, join(logDir, 'app.log.1'), 'the rotated file is known by its new name');
  } finally {
    await f.cleanup();
  }
});
