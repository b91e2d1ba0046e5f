/**
 * `logpipe maintain` on generated days in the real server: each closed day's rows rewritten in
 * its type's order (checked on the heap, row by row), nothing lost, changed or left behind; a
 * day held by another session is left for the next run (exit 3) and done by it; open days
 * untouched; --no-cluster rebuilds indexes only; a late line for a day being ordered waits for it;
 * a day dropped while maintain runs is passed over.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { generate, type GenerateReport } from '../../src/generator/generate.js';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { typeOfPartition } from '../../src/store/partitions.js';
import { assertExactlyOnce, killStragglers, pipelineFixture, runCli, startCli, until, type PipelineFixture } from '../helpers/pipeline.js';

const START = Date.UTC(2024, 0, 15); // four days: 15th to 18th
const dir = mkdtempSync(join(tmpdir(), 'logpipe-maintain-'));
const cleanups: (() => Promise<void>)[] = [];
afterEach(killStragglers);
after(async () => {
  for (const c of cleanups) await c();
  rmSync(dir, { recursive: true, force: true });
});

/** The seed's three types in two files, and the proxy type in a third, over four days. */
function data(): GenerateReport {
  const seed = generate({ files: 2, lines: 12_000, out: dir, seed: 41, dirty: 0, start: START, days: 4 });
  const other = mkdtempSync(join(tmpdir(), 'logpipe-maintain-proxy-'));
  const proxy = generate({ files: 1, lines: 4_000, out: other, seed: 42, dirty: 0, start: START, days: 4, types: ['proxy'] });
  renameSync(join(other, 'logs_0000.log'), join(dir, 'proxy.log'));
  rmSync(other, { recursive: true, force: true });
  const records = { ...seed.records };
  for (const [t, n] of Object.entries(proxy.records)) records[t] += n;
  return { ...seed, files: [...seed.files, join(dir, 'proxy.log')], lines: seed.lines + proxy.lines, records };
}

/** Every row of every log table, as text, in (file, line) order: what must not change. */
async function contents(f: PipelineFixture): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of LOG_TYPES) out[t.name] = (await f.pool.query(`SELECT md5(string_agg(r::text, E'\\n' ORDER BY file_id, line_no)) AS h FROM public.${t.table} r`)).rows[0].h;
  return out;
}

/** Rows of a partition that come, in its heap, after a row with a greater key (0: the heap is in key order). */
async function outOfOrder(f: PipelineFixture, partition: string, on: string): Promise<number> {
  return (await f.pool.query(
    `SELECT count(*)::int AS n FROM (SELECT ROW(${on}) AS k, lag(ROW(${on})) OVER (ORDER BY ctid) AS prev FROM logpipe_partitions.${partition}) x WHERE prev > k`,
  )).rows[0].n;
}

const partitions = async (f: PipelineFixture) =>
  (await f.pool.query<{ relname: string }>(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'logpipe_partitions' AND relkind = 'r' ORDER BY 1`)).rows.map((r) => r.relname);
const compacted = async (f: PipelineFixture) =>
  (await f.pool.query<{ partition: string }>(`SELECT partition FROM logpipe.compacted ORDER BY 1`)).rows.map((r) => r.partition);
const orderOf = (partition: string) => typeOfPartition(partition)!.clusterBy!.on;

test('maintain orders each closed day by its entity, loses and changes nothing, leaves a busy day for the next run, and --no-cluster keeps arrival order', { timeout: 180_000 }, async () => {
  const report = data();
  const f = await pipelineFixture(dir);
  cleanups.push(f.cleanup);
  const env = { ...f.env, LOGPIPE_QUEUE_URL: '' };
  const run = await runCli(['run'], env);
  assert.equal(run.code, 0, run.output);
  const before = await contents(f);
  const all = await partitions(f);
  assert.equal(all.length, 16, `four days of four types: ${all.join(', ')}`);
  for (const p of all) assert.ok((await outOfOrder(f, p, orderOf(p))) > 0, `${p} arrives out of its order (else the test proves nothing)`);

  // Another session reads the 15th's firewall partition in an open transaction: it holds a lock
  // that ordering the partition must wait for.
  const busy = 'firewall_logs_p20240115';
  const reader = await f.pool.connect();
  await reader.query('BEGIN');
  await reader.query(`SELECT count(*) FROM logpipe_partitions.${busy}`);
  const first = await runCli(['maintain', '--before', '2024-01-17', '--lock-timeout', '1'], env);
  await reader.query('COMMIT');
  reader.release();
  assert.equal(first.code, 3, first.output);
  assert.match(first.output, new RegExp(`${busy}: busy for 1 s .*left for the next run`));
  assert.match(first.output, /compacted 7 partition\(s\).*; 1 busy, left for the next run/);
  const closed = all.filter((p) => /_p2024011[56]$/.test(p));
  assert.deepEqual(await compacted(f), closed.filter((p) => p !== busy).sort());
  for (const p of closed.filter((x) => x !== busy)) assert.equal(await outOfOrder(f, p, orderOf(p)), 0, `${p} in (${orderOf(p)}) order`);
  assert.ok((await outOfOrder(f, busy, orderOf(busy))) > 0, 'the busy day untouched');

  const second = await runCli(['maintain', '--before', '2024-01-17'], env);
  assert.equal(second.code, 0, second.output);
  assert.match(second.output, new RegExp(`${busy}: rows ordered by \\(src_ip, ts\\) \\(held [0-9.]+ s\\)`));
  assert.match(second.output, /compacted 1 partition\(s\)/);
  assert.equal(await outOfOrder(f, busy, orderOf(busy)), 0, 'ordered by the next run');
  for (const p of all.filter((x) => !closed.includes(x))) assert.ok((await outOfOrder(f, p, orderOf(p))) > 0, `${p}: an open day is left as it is`);

  const third = await runCli(['maintain', '--before', '2099-01-01', '--no-cluster'], env);
  assert.equal(third.code, 0, third.output);
  assert.match(third.output, /compacted 8 partition\(s\)/);
  assert.doesNotMatch(third.output, /rows ordered by/);
  assert.deepEqual(await compacted(f), all);
  for (const p of all.filter((x) => !closed.includes(x))) assert.ok((await outOfOrder(f, p, orderOf(p))) > 0, `${p}: --no-cluster keeps arrival order`);

  // Nothing lost, changed or left behind: the same rows, every index of the schema and no other.
  assert.deepEqual(await contents(f), before);
  const left = (await f.pool.query(`SELECT count(*)::int AS n FROM pg_class WHERE relkind = 'i' AND relname LIKE '%\\_order'`)).rows[0].n;
  assert.equal(left, 0, 'no ordering index left behind');
  const indexes = (await f.pool.query(`SELECT c.relname AS p, count(*)::int AS n FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'logpipe_partitions' GROUP BY 1`)).rows;
  for (const { p, n } of indexes) {
    const type = typeOfPartition(p)!;
    assert.equal(n, type.indexes.length + 1, `${p}: its declared indexes and the ts BRIN`);
  }
  await assertExactlyOnce(f.pool, report);

  const again = await runCli(['maintain', '--before', '2099-01-01'], env);
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, /compacted 0 partition\(s\)/, 'each day once');
});

test('a late line for a day being ordered waits for it and is committed once, nothing failing', { timeout: 120_000 }, async () => {
  const late = mkdtempSync(join(tmpdir(), 'logpipe-maintain-late-'));
  const f = await pipelineFixture(late);
  cleanups.push(async () => {
    await f.cleanup();
    rmSync(late, { recursive: true, force: true });
  });
  const env = { ...f.env, LOGPIPE_QUEUE_URL: '' };
  writeFileSync(join(late, 'a.log'), '2024-01-15T10:00:00.000Z|action=accept|src=10.0.0.1|dst=10.0.0.2|proto=TCP|src_port=1|dst_port=22|bytes_sent=5|rule=r\n');
  assert.equal((await runCli(['run'], env)).code, 0);
  // maintain's CLUSTER holds the day's partition as this session does here.
  const holder = await f.pool.connect();
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE logpipe_partitions.firewall_logs_p20240115 IN ACCESS EXCLUSIVE MODE');
  writeFileSync(join(late, 'b.log'), '2024-01-15T11:00:00.000Z|action=drop|src=10.0.0.3|dst=10.0.0.2|proto=TCP|src_port=2|dst_port=3389|bytes_sent=0|rule=r\n');
  const run = startCli(['run'], env);
  const early = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('waiting'), 3_000))]);
  await holder.query('COMMIT');
  holder.release();
  assert.equal(early, 'waiting', `it waits for the day: ${run.output()}`);
  assert.equal(await run.exited, 0, run.output());
  const rows = (await f.pool.query(`SELECT host(src_ip) AS ip, count(*)::int AS n FROM firewall_logs GROUP BY 1 ORDER BY 1`)).rows;
  assert.deepEqual(rows, [{ ip: '10.0.0.1', n: 1 }, { ip: '10.0.0.3', n: 1 }]);
});

test('a day dropped (by retention) while maintain runs is passed over, the rest done', { timeout: 120_000 }, async () => {
  const days = mkdtempSync(join(tmpdir(), 'logpipe-maintain-gone-'));
  generate({ files: 1, lines: 3_000, out: days, seed: 43, dirty: 0, start: START, days: 3 });
  const f = await pipelineFixture(days);
  cleanups.push(async () => {
    await f.cleanup();
    rmSync(days, { recursive: true, force: true });
  });
  const env = { ...f.env, LOGPIPE_QUEUE_URL: '' };
  assert.equal((await runCli(['run'], env)).code, 0);
  // maintain lists the closed days, then waits to order the first one (held here in SHARE mode,
  // which its schema check passes): meanwhile a later day is dropped, as retention drops one.
  const first = 'auth_logs_p20240115';
  const gone = 'firewall_logs_p20240116';
  const holder = await f.pool.connect();
  await holder.query('BEGIN');
  await holder.query(`LOCK TABLE logpipe_partitions.${first} IN SHARE MODE`);
  const maintain = startCli(['maintain', '--before', '2024-01-17', '--lock-timeout', '60'], env);
  await until(async () => (await f.pool.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`, [`LOCK TABLE %${first}%`],
  )).rows[0].n > 0, 60_000, 'maintain waiting for the first day');
  await f.pool.query(`DROP TABLE logpipe_partitions.${gone}`);
  await holder.query('COMMIT');
  holder.release();
  assert.equal(await maintain.exited, 0, maintain.output());
  assert.match(maintain.output(), new RegExp(`${gone}: dropped while maintain ran`));
  assert.match(maintain.output(), /compacted 5 partition\(s\)/);
  assert.deepEqual(await compacted(f), (await partitions(f)).filter((p) => /_p2024011[56]$/.test(p)));
});

test('maintain refuses a bad --lock-timeout before connecting', async () => {
  const r = await runCli(['maintain', '--lock-timeout', 'soon'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  assert.equal(r.code, 2, r.output);
  assert.match(r.output, /--lock-timeout <seconds>' argument 'soon' is invalid/);
});
