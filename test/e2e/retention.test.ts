/**
 * Retention by whole days on generated days: exactly the rows of the window stay, Q4 still
 * answers for the dropped days (rollups are kept), the files' counts still add up, and a file
 * whose old lines were dropped is not read again from its start when it grows. A processor
 * applies the window init-db recorded, once.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { generate } from '../../src/generator/generate.js';
import { LOG_TYPES, parseLine } from '../../src/logtypes/registry.js';
import { fileStatuses } from '../../src/store/status.js';
import { killStragglers, pipelineFixture, runCli, startCli, until, type PipelineFixture } from '../helpers/pipeline.js';

const START = Date.UTC(2024, 0, 15);
const CUTOFF = Date.UTC(2024, 0, 22); // --keep-days 3 --as-of 2024-01-25
let dir: string;
const cleanups: (() => Promise<void>)[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'logpipe-retention-'));
  // Ten days in two files, and a third file whose lines all fall before the window.
  generate({ files: 2, lines: 20_000, out: dir, seed: 31, dirty: 0, start: START, days: 10 });
  const old = mkdtempSync(join(tmpdir(), 'logpipe-retention-old-'));
  generate({ files: 1, lines: 3_000, out: old, seed: 32, dirty: 0, start: START, days: 3 });
  renameSync(join(old, 'logs_0000.log'), join(dir, 'old.log'));
  rmSync(old, { recursive: true, force: true });
});
afterEach(killStragglers);
after(async () => {
  for (const c of cleanups) await c();
  rmSync(dir, { recursive: true, force: true });
});

/** Records per log type in the files, counting only those at or after `from` (ms). */
function recordsInFiles(from = 0): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(LOG_TYPES.map((t) => [t.name, 0]));
  for (const f of ['logs_0000.log', 'logs_0001.log', 'old.log']) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      const { typeIndex, result } = parseLine(line);
      assert.ok(result.ok, line);
      if (result.epochMs >= from) out[LOG_TYPES[typeIndex].name]++;
    }
  }
  return out;
}

async function rowsPerTable(f: PipelineFixture): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of LOG_TYPES) out[t.name] = (await f.pool.query(`SELECT count(*)::int AS n FROM public.${t.table}`)).rows[0].n;
  return out;
}

test('--keep-days 3 --as-of 2024-01-25 leaves exactly the rows from 2024-01-22 on; Q4 still answers for the dropped days; a grown file is read from where it was', { timeout: 180_000 }, async () => {
  const f = await pipelineFixture(dir);
  cleanups.push(f.cleanup);
  const env = { ...f.env, LOGPIPE_QUEUE_URL: '' };
  assert.equal((await runCli(['run', '--no-summary'], env)).code, 0);
  assert.deepEqual(await rowsPerTable(f), recordsInFiles());
  const volume = async () => (await runCli(['query', 'volume', '--from', '2024-01-15', '--to', '2024-01-22', '--format', 'jsonl'], env)).output.split('\n').filter((l) => l.startsWith('{'));
  const before = await volume();
  assert.equal(before.length, 7 * 24 * 3, 'an hour of each type over seven days');

  const dry = await runCli(['retention', '--keep-days', '3', '--as-of', '2024-01-25', '--dry-run'], env);
  assert.equal(dry.code, 0, dry.output);
  assert.match(dry.output, /firewall_logs: would drop 7 days \(2024-01-15 … 2024-01-21\)/);
  assert.deepEqual(await rowsPerTable(f), recordsInFiles(), 'a dry run drops nothing');

  const run = await runCli(['retention', '--keep-days', '3', '--as-of', '2024-01-25'], env);
  assert.equal(run.code, 0, run.output);
  const kept = recordsInFiles(CUTOFF);
  const all = recordsInFiles();
  for (const t of ['firewall', 'dns', 'auth']) {
    assert.match(run.output, new RegExp(`${t}_logs: dropped 7 days \\(2024-01-15 … 2024-01-21\\), ${(all[t] - kept[t]).toLocaleString('en-US')} rows`));
  }
  assert.deepEqual(await rowsPerTable(f), kept, 'exactly the rows from 2024-01-22 on');
  for (const t of LOG_TYPES) {
    const min = (await f.pool.query(`SELECT min(ts) AS m FROM public.${t.table}`)).rows[0].m;
    if (min) assert.ok(min.getTime() >= CUTOFF, `${t.table} starts ${min.toISOString()}`);
  }
  const parts = (await f.pool.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'logpipe_partitions' AND right(tablename, 8) < '20240122'`)).rows[0].n;
  assert.equal(parts, 0, 'no partition before the window');
  assert.deepEqual(await volume(), before, 'Q4 answers for the dropped days from its rollup');

  // The ledger rows of the dropped days are retired; every file still adds up, read to its end.
  const retired = (await f.pool.query(`SELECT path, retired_offset, retired_lines FROM logpipe.files ORDER BY path`)).rows;
  assert.ok(retired.every((r) => r.retired_offset > 0), 'each file has a retired prefix');
  const old = retired.find((r) => r.path.endsWith('old.log'))!;
  assert.equal(old.retired_lines, 3_000, 'a file of old lines only is retired whole');
  assert.equal((await f.pool.query(`SELECT count(*)::int AS n FROM logpipe.chunks c JOIN logpipe.files f ON f.id = c.file_id WHERE f.path LIKE '%old.log'`)).rows[0].n, 0);
  for (const s of await fileStatuses(f.pool)) assert.equal(s.balanced, true, s.path);

  // The old file and a ten-day one grow: only the new lines are read, nothing from before comes back.
  const fresh = (n: number, day: string) => Array.from({ length: n }, (_, i) =>
    `${day}T0${i % 10}:00:00.000Z|action=accept|src=192.168.1.9|dst=10.0.0.9|proto=TCP|dst_port=443|rule=grown`).join('\n') + '\n';
  appendFileSync(join(dir, 'old.log'), fresh(50, '2024-01-26'));
  appendFileSync(join(dir, 'logs_0000.log'), fresh(30, '2024-01-26'));
  const again = await runCli(['run', '--no-summary'], env);
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, /logpipe run: 80 records, 0 quarantined/);
  const rows = await rowsPerTable(f);
  assert.equal(rows.firewall, kept.firewall + 80);
  assert.equal((await f.pool.query(`SELECT count(*)::int AS n FROM public.firewall_logs WHERE ts < '2024-01-22'`)).rows[0].n, 0, 'nothing from before the window was read again');
  const statuses = await fileStatuses(f.pool);
  for (const s of statuses) assert.equal(s.balanced, true, s.path);
  assert.equal(statuses.find((s) => s.path.endsWith('old.log'))!.linesRead, 3_050);
});

test('a processor with retention.keepDays applies the window init-db recorded, once a day whatever the number of processors', { timeout: 120_000 }, async () => {
  const f = await pipelineFixture(dir);
  cleanups.push(f.cleanup);
  assert.equal((await runCli(['run', '--no-summary'], { ...f.env, LOGPIPE_QUEUE_URL: '' })).code, 0);
  const before = await rowsPerTable(f);
  const hourly = (await f.pool.query(`SELECT sum(events)::int AS n FROM logpipe.hourly_counts`)).rows[0].n;
  // The administrator records a window; this data is from 2024, long before it.
  const init = await runCli(['init-db'], { ...f.env, LOGPIPE_RETENTION_DAYS: '30' });
  assert.match(init.output, /retention window: 30 days/);
  const env = { ...f.env, LOGPIPE_RETENTION_DAYS: '30', LOGPIPE_LOG_LEVEL: 'info', LOGPIPE_LOG_FORMAT: 'json', LOGPIPE_METRICS_PORT: '0' };
  const p1 = startCli(['processor'], env);
  await until(async () => /retention: dropped the days before the window/.test(p1.output()), 30_000, 'the daily retention');
  p1.child.kill('SIGTERM');
  assert.equal(await p1.exited, 0, p1.output());
  assert.match(p1.output(), /"keepDays":30,"partitions":\d+,"rows":\d+/);
  assert.deepEqual(Object.values(await rowsPerTable(f)), LOG_TYPES.map(() => 0), 'every day was older than 30 days');
  assert.ok(Object.values(before).reduce((a, b) => a + b, 0) > 0);
  assert.equal((await f.pool.query(`SELECT sum(events)::int AS n FROM logpipe.hourly_counts`)).rows[0].n, hourly, 'rollups are kept');
  // A second processor (or the first, restarted) does not run it again within the day.
  const p2 = startCli(['processor'], env);
  await until(async () => /"msg":"processor ready"/.test(p2.output()), 30_000, 'processor ready');
  const lastRun = (await f.pool.query(`SELECT value FROM logpipe.settings WHERE key = 'retentionLastRun'`)).rows[0].value;
  p2.child.kill('SIGTERM');
  assert.equal(await p2.exited, 0);
  assert.doesNotMatch(p2.output(), /retention: dropped/);
  assert.deepEqual((await f.pool.query(`SELECT value FROM logpipe.settings WHERE key = 'retentionLastRun'`)).rows[0].value, lastRun);
});
