/**
 * Files as hosts keep them, with real processes: a file that grows between runs (batch `run`,
 * reader + processor over Redis, and --follow), rotation by rename and by rename + gzip, links,
 * subdirectories, unreadable inputs, include/exclude, and inputs that do not exist. Every case
 * ends with exact row counts, no line twice, and per-file counts that add up.
 */
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, afterEach, test } from 'node:test';
import type pg from 'pg';
import { generate } from '../../src/generator/generate.js';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { fileStatuses } from '../../src/store/status.js';
import { committedLines, killStragglers, pipelineFixture, runCli, startCli, until, type PipelineFixture } from '../helpers/pipeline.js';
import { TempPaths } from '../helpers/temp.js';

const temp = new TempPaths('logpipe-inputs-', 0o755); // readable by the unprivileged user of the permission test
const cleanups: (() => Promise<void>)[] = [];
afterEach(killStragglers);
after(async () => {
  for (const c of cleanups) await c();
  temp.removeAll();
});

/** Lines of the generator (seed 5), as a buffer of whole lines: `from` to `to`, 0-based. */
const source = (() => {
  const d = temp.dir();
  generate({ files: 1, lines: 6_000, out: d, seed: 5, dirty: 0 });
  const lines = readFileSync(join(d, 'logs_0000.log'), 'utf8').split('\n').slice(0, 6_000);
  return (from: number, to: number) => lines.slice(from, to).map((l) => l + '\n').join('');
})();

async function fixture(logDir: string): Promise<PipelineFixture> {
  const f = await pipelineFixture(logDir, { LOGPIPE_CHUNK_MAX_LINES: '700' });
  cleanups.push(f.cleanup);
  return f;
}

async function rows(pool: pg.Pool): Promise<number> {
  let n = 0;
  for (const t of LOG_TYPES) n += (await pool.query(`SELECT count(*)::int AS n FROM public.${t.table}`)).rows[0].n;
  return n + (await pool.query(`SELECT count(*)::int AS n FROM logpipe.quarantine`)).rows[0].n;
}

async function assertClean(pool: pg.Pool, expectedLines: number, files: number): Promise<void> {
  assert.equal(await rows(pool), expectedLines, 'rows + quarantined');
  const union = [...LOG_TYPES.map((t) => `SELECT file_id, line_no FROM public.${t.table}`), 'SELECT file_id, line_no FROM logpipe.quarantine'].join(' UNION ALL ');
  assert.equal((await pool.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM (${union}) u GROUP BY file_id, line_no HAVING count(*) > 1) d`)).rows[0].n, 0, 'no line twice');
  const st = await fileStatuses(pool);
  assert.equal(st.length, files, st.map((f) => f.path).join(', '));
  for (const f of st) {
    assert.equal(f.status, 'done', f.path);
    assert.equal(f.balanced, true, `${f.path} adds up`);
  }
  assert.equal(st.reduce((a, f) => a + f.linesRead, 0), expectedLines, 'lines read');
}

const noRedis = (env: Record<string, string>) => {
  const { LOGPIPE_QUEUE_URL: _, ...rest } = env;
  return rest;
};

test('growth between batch runs: 3,000 lines, 100 appended, run again → 3,100, counts add up', async () => {
  const dir = temp.dir();
  const f = await fixture(dir);
  const log = join(dir, 'app.log');
  writeFileSync(log, source(0, 3_000));
  const first = await runCli(['run', '--no-summary'], noRedis(f.env));
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, /logpipe run: 3,000 records/);
  appendFileSync(log, source(3_000, 3_100));
  const second = await runCli(['run', '--no-summary'], noRedis(f.env));
  assert.equal(second.code, 0, second.output);
  assert.match(second.output, /logpipe run: 100 records/);
  await assertClean(f.pool, 3_100, 1);
  const third = await runCli(['run', '--no-summary'], noRedis(f.env));
  assert.match(third.output, /logpipe run: 0 records/, 'nothing new, nothing read');
  const status = await runCli(['status'], f.env);
  assert.match(status.output, /app\.log\s+3100\s+3100\s+0\s+0\s+\S+\s+done\s+yes/);
});

test('growth over Redis (reader + processor), with a line still being written held back', async () => {
  const dir = temp.dir();
  const f = await fixture(dir);
  const log = join(dir, 'app.log');
  const processor = startCli(['processor'], f.env);
  writeFileSync(log, source(0, 3_000));
  assert.equal((await runCli(['reader'], f.env)).code, 0);
  // 100 more lines, the last one half written: it waits for its newline (the file just changed).
  const more = source(3_000, 3_100);
  appendFileSync(log, more.slice(0, more.length - 20));
  const r2 = await runCli(['reader'], { ...f.env, LOGPIPE_SETTLE_MS: '60000' });
  assert.equal(r2.code, 0, r2.output);
  assert.equal(await committedLines(f.pool), 3_099);
  appendFileSync(log, more.slice(more.length - 20));
  assert.equal((await runCli(['reader'], f.env)).code, 0);
  processor.child.kill('SIGTERM');
  assert.equal(await processor.exited, 0, processor.output());
  await assertClean(f.pool, 3_100, 1);
});

test('growth while following', async () => {
  const dir = temp.dir();
  const f = await fixture(dir);
  const log = join(dir, 'app.log');
  writeFileSync(log, source(0, 3_000));
  const run = startCli(['run', '--follow'], noRedis({ ...f.env, LOGPIPE_CONFIG: followConfig(dir) }));
  await until(async () => (await committedLines(f.pool)) === 3_000, 20_000, '3,000 lines');
  appendFileSync(log, source(3_000, 3_100));
  await until(async () => (await committedLines(f.pool)) === 3_100, 20_000, '3,100 lines');
  await until(async () => (await fileStatuses(f.pool))[0]?.balanced === true, 5_000, 'status to add up');
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0, run.output());
  await assertClean(f.pool, 3_100, 1);
});

function followConfig(dir: string): string {
  const p = join(dir, '..', `follow-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, JSON.stringify({ chunk: { flushMs: 100 }, reader: { pollMs: 100 } }));
  temp.add(p);
  return p;
}

test('rotation by rename, then by rename + gzip, each with a new file: exactly the new lines', async () => {
  const dir = temp.dir();
  const f = await fixture(dir);
  const log = join(dir, 'auth.log');
  writeFileSync(log, source(0, 2_000));
  assert.equal((await runCli(['run', '--no-summary'], noRedis(f.env))).code, 0);
  // logrotate: 50 more lines written before the rename, then a new file.
  appendFileSync(log, source(2_000, 2_050));
  renameSync(log, `${log}.1`);
  writeFileSync(log, source(3_000, 3_500));
  const second = await runCli(['run', '--no-summary'], noRedis(f.env));
  assert.match(second.output, /logpipe run: 550 records/, second.output);
  // Next rotation: .1 compressed to .2.gz, the current one to .1, and a new one.
  writeFileSync(`${log}.2.gz`, gzipSync(readFileSync(`${log}.1`)));
  unlinkSync(`${log}.1`);
  renameSync(log, `${log}.1`);
  writeFileSync(log, source(4_000, 4_200));
  const third = await runCli(['run', '--no-summary'], noRedis(f.env));
  assert.match(third.output, /logpipe run: 200 records/, third.output);
  await assertClean(f.pool, 2_050 + 500 + 200, 3);
  const paths = (await fileStatuses(f.pool)).map((s) => s.path.slice(dir.length + 1)).sort();
  assert.deepEqual(paths, ['auth.log', 'auth.log.1', 'auth.log.2.gz'], 'each file known by where it is now');
});

test('subdirectories, links to files and directories, a file by two paths, a dangling link, an unreadable file', async () => {
  const dir = temp.dir();
  const elsewhere = temp.dir();
  mkdirSync(join(dir, 'nginx'));
  writeFileSync(join(dir, 'nginx', 'fw.log'), source(0, 300));
  writeFileSync(join(elsewhere, 'container-1.log'), source(300, 500));
  symlinkSync(join(elsewhere, 'container-1.log'), join(dir, 'container-1.log')); // like /var/log/containers
  symlinkSync(join(elsewhere, 'container-1.log'), join(dir, 'same-again.log'));
  mkdirSync(join(elsewhere, 'deep'));
  writeFileSync(join(elsewhere, 'deep', 'd.log'), source(500, 600));
  symlinkSync(join(elsewhere, 'deep'), join(dir, 'linked-dir'));
  symlinkSync(dir, join(dir, 'nginx', 'loop')); // a link back up the tree is not followed twice
  symlinkSync(join(elsewhere, 'gone.log'), join(dir, 'dangling.log'));
  writeFileSync(join(dir, 'secret.log'), source(600, 700));
  chmodSync(join(dir, 'secret.log'), 0o600);
  writeFileSync(join(dir, 'notes.txt'), 'not a log\n');
  const f = await fixture(dir);
  // As an unprivileged user, so that the mode of secret.log means something (root reads anything).
  const out = await runCli(['run', '--no-summary'], noRedis(f.env), 60_000, { uid: 65534, gid: 65534 });
  assert.equal(out.code, 3, out.output);
  assert.match(out.output, /not read: .*dangling\.log: ENOENT/);
  assert.match(out.output, /not read: .*secret\.log: EACCES/);
  assert.match(out.output, /2 input\(s\) could not be read; everything else was committed/);
  await assertClean(f.pool, 300 + 200 + 100, 3);
  const status = await runCli(['status'], f.env);
  assert.match(status.output, /inputs not read \(2\)/);
  assert.match(status.output, /secret\.log\s+EACCES/);
  // Readable again: read, and its error resolved.
  chmodSync(join(dir, 'secret.log'), 0o644);
  unlinkSync(join(dir, 'dangling.log'));
  const again = await runCli(['run', '--no-summary'], noRedis(f.env), 60_000, { uid: 65534, gid: 65534 });
  assert.equal(again.code, 0, again.output);
  await assertClean(f.pool, 700, 4);
  assert.match((await runCli(['status'], f.env)).output, /inputs not read \(1\)/, 'the removed link stays reported until read or resolved');
});

test('paths replace LOG_DIR; include and exclude; rotated names are read; a missing input is an error naming it', async () => {
  const dir = temp.dir();
  const other = temp.dir();
  writeFileSync(join(dir, 'app.log'), source(0, 100));
  writeFileSync(join(dir, 'app.log.1'), source(100, 150));
  writeFileSync(join(dir, 'app.log-20240115'), source(150, 170));
  writeFileSync(join(dir, 'debug.log'), source(170, 180));
  writeFileSync(join(dir, 'syslog'), source(180, 200));
  writeFileSync(join(other, 'only.log'), source(200, 210));
  const f = await fixture(dir);
  const onlyOther = await runCli(['run', '--no-summary', other], noRedis(f.env));
  assert.match(onlyOther.output, /logpipe run: 10 records/, 'a path given replaces LOG_DIR');
  const selected = await runCli(['run', '--no-summary', '--include', '*.log', '*.log.[0-9]*', '*.log-*', 'syslog', '--exclude', 'debug.*'], noRedis(f.env));
  assert.equal(selected.code, 0, selected.output);
  assert.match(selected.output, /logpipe run: 190 records/);
  await assertClean(f.pool, 200, 5);

  const missing = await runCli(['run', join(dir, 'nope')], noRedis(f.env));
  assert.equal(missing.code, 2, missing.output);
  assert.match(missing.output, /input .*nope does not exist/);
  const noDir = await runCli(['run'], noRedis({ ...f.env, LOG_DIR: join(dir, 'missing-dir') }));
  assert.equal(noDir.code, 2);
  assert.match(noDir.output, /missing-dir does not exist/);
  assert.doesNotMatch(noDir.output, /\n\s+at /, 'no stack trace');
});
