/**
 * `logpipe bench-queries` on a small scale against the real server: every question timed on
 * logpipe's tables and on the naive table, the report written, and its databases dropped once
 * measured — or, with --reuse, kept and used again without ingesting a second time — and
 * dropped too when a scale fails.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { generate } from '../../src/generator/generate.js';
import { INVESTIGATIONS } from '../../src/store/investigations.js';
import { runCli } from '../helpers/pipeline.js';
import { ADMIN_URL, uniqueName } from '../helpers/services.js';
import { TempPaths } from '../helpers/temp.js';

const temp = new TempPaths('logpipe-bench-queries-');
const prefix = uniqueName('logpipe_test_qbench');

async function databases(): Promise<string[]> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1', [`${prefix}%`])).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

after(async () => {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  for (const name of await databases()) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
  temp.removeAll();
});

test('bench-queries times every question on both tables and drops its databases; --reuse keeps them and ingests once', { timeout: 180_000 }, async () => {
  const dataRoot = temp.dir();
  const out = temp.dir();
  const args = ['bench-queries', '--scale', '3000/2', '--runs', '3', '--naive-up-to', '3000', '--data-root', dataRoot, '--db-prefix', prefix, '--out', out];
  const env = { DATABASE_URL: ADMIN_URL };

  const first = await runCli(args, env);
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, /ingesting 3,000 rows, 2 days with logpipe run/);
  const report = JSON.parse(readFileSync(join(out, 'queries-latest.json'), 'utf8'));
  const [scale] = report.results;
  assert.deepEqual(scale.logpipe.map((q: { id: string }) => q.id), INVESTIGATIONS.map((q) => q.id), 'every question, in order');
  for (const q of scale.logpipe) assert.ok(q.p50 > 0 && q.p95 >= q.p50 && q.access.length > 0, `${q.id}: ${JSON.stringify(q)}`);
  assert.deepEqual(scale.naive.map((q: { id: string }) => q.id), INVESTIGATIONS.filter((q) => q.naive).map((q) => q.id), 'the naive table answers the seed\'s questions');
  assert.ok(existsSync(join(out, 'queries-report.md')) && existsSync(join(out, 'queries-chart.svg')));
  assert.deepEqual(await databases(), [], 'databases dropped once measured');

  const kept = await runCli([...args, '--reuse'], env);
  assert.equal(kept.code, 0, kept.output);
  assert.deepEqual(await databases(), [`${prefix}_3000r2d`, `${prefix}_3000r2d_naive`], '--reuse keeps them');
  const again = await runCli([...args, '--reuse'], env);
  assert.equal(again.code, 0, again.output);
  assert.doesNotMatch(again.output, /ingesting|filling the naive/, 'used again, not ingested a second time');
});

test('bench-queries drops the databases of a scale that failed', { timeout: 120_000 }, async () => {
  const dataRoot = temp.dir();
  // The scale's data set, with a link to nothing among its files: `logpipe run` cannot read it
  // and exits 3 after creating and filling the database.
  const dataDir = join(dataRoot, 'qbench-2000r1d');
  generate({ files: 10, lines: 200, out: dataDir, seed: 5, dirty: 0, days: 1 });
  symlinkSync(join(dataDir, 'gone'), join(dataDir, 'dangling.log'));
  // TMPDIR: the roles' logs, kept when a scale fails, go where the test removes them.
  const r = await runCli(['bench-queries', '--scale', '2000/1', '--runs', '1', '--data-root', dataRoot, '--db-prefix', prefix, '--out', temp.dir()], { DATABASE_URL: ADMIN_URL, TMPDIR: temp.dir() });
  assert.notEqual(r.code, 0, r.output);
  assert.match(r.output, /run exited with 3/);
  assert.deepEqual((await databases()).filter((d) => d.includes('_2000r1d')), [], 'nothing left behind');
});
