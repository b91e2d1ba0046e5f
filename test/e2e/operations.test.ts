/**
 * Operating logpipe as a production shipper, with real processes: every user error is a message
 * naming the setting or host with the right exit code and no stack; commands that only read
 * create nothing; the embedded cluster is shared and stops cleanly; a processor's /metrics equal
 * the database after a run, and /readyz follows PostgreSQL down and back; logs say what a role
 * connected to (never a password); `status --watch` refreshes with rates.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { generate } from '../../src/generator/generate.js';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { packagePath } from '../../src/core/paths.js';
import { committedLines, killStragglers, pipelineFixture, runCli, startCli, until } from '../helpers/pipeline.js';
import { dropQueue, freePort, listening, pgCluster, pgCtl, REDIS_URL, tempDatabase } from '../helpers/services.js';
import { TempPaths } from '../helpers/temp.js';

const temp = new TempPaths('logpipe-ops-', 0o755); // as root, an embedded cluster runs as the postgres user, who must reach it
const cleanups: (() => Promise<void>)[] = [];
afterEach(killStragglers);
after(async () => {
  for (const c of cleanups) await c();
  temp.removeAll();
});

const STACK = /^\s+at .*(\(|:\d+:\d+)/m;

function assertMessage(r: { code: number | null; output: string }, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, r.output);
  assert.match(r.output, pattern);
  assert.doesNotMatch(r.output, STACK, 'no stack trace');
  assert.ok(r.output.trim().split('\n').length <= 3, `one or two lines:\n${r.output}`);
}

test('bad flag values are usage errors: exit 2, the flag named, no stack', async () => {
  const cases: [string[], RegExp][] = [
    [['run', '--batch-chunks', '0'], /--batch-chunks <n>' argument '0' is invalid\. It must be a whole number from 1 to 1000/],
    [['run', '--concurrency', 'x'], /--concurrency <n>' argument 'x' is invalid/],
    [['generate', '--lines', '-5'], /--lines <n>' argument '-5' is invalid/],
    [['generate', '--files', '0'], /--files <n>' argument '0' is invalid/],
    [['generate', '--seed', 'x'], /--seed <n>' argument 'x' is invalid/],
    [['cost', '--retention-days', '-1'], /--retention-days <n>' argument '-1' is invalid/],
    [['queries', '--rows', 'abc'], /--rows <n>' argument 'abc' is invalid/],
    [['processor', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['nosuch'], /unknown command 'nosuch'/],
  ];
  for (const [args, pattern] of cases) assertMessage(await runCli(args, {}), 2, pattern);
  const version = await runCli(['--version'], {});
  assert.equal(version.code, 0);
  assert.equal(version.output.trim(), JSON.parse(readFileSync(packagePath('package.json'), 'utf8')).version);
});

test('configuration errors: exit 2 naming the setting and where it came from; strict types, did-you-mean', async () => {
  const dir = temp.dir();
  const file = (name: string, body: string) => {
    writeFileSync(join(dir, name), body);
    return join(dir, name);
  };
  assertMessage(await runCli(['run', '--config', file('a.json', '{"reader":{"follow":"false"}}')], {}), 2, /reader\.follow: .*expected boolean.*got "false" from config file/);
  assertMessage(await runCli(['run', '--config', file('b.json', '{"processor":{"batchChunks":true}}')], {}), 2, /processor\.batchChunks: .*expected number.*got true/);
  assertMessage(await runCli(['run', '--config', file('c.yaml', 'procesor:\n  batchChunks: 2\n')], {}), 2, /procesor: unknown setting — did you mean processor\?/);
  assertMessage(await runCli(['run', '--config', join(dir, 'missing.json')], {}), 2, /cannot read config file .*missing\.json: no such file/);
  const started = Date.now();
  assertMessage(await runCli(['status'], { DATABASE_URL: 'redis://127.0.0.1:6379' }), 2, /databaseUrl: PostgreSQL URLs start with postgres:\/\/ .*from DATABASE_URL/);
  assert.ok(Date.now() - started < 5_000, 'a wrong scheme is refused at once, not after a hang');
  assertMessage(await runCli(['reader'], { DATABASE_URL: 'postgres://x@127.0.0.1/none' }), 2, /the reader needs a queue other processes can reach: set REDIS_URL \(Redis Streams\) or NATS_URL/);
  assertMessage(await runCli(['processor'], { DATABASE_URL: 'postgres://x@127.0.0.1/none', REDIS_URL, LOGPIPE_BATCH_CHUNKS: 'many' }), 2, /processor\.batchChunks.*"many" from LOGPIPE_BATCH_CHUNKS/);
  const printed = await runCli(['config', '--json'], { DATABASE_URL: 'postgres://u:s3cret@db:5432/logs', LOGPIPE_TIMEZONE: 'Europe/Berlin' });
  assert.equal(printed.code, 0);
  assert.equal(JSON.parse(printed.output).databaseUrl, 'postgres://u:***@db:5432/logs');
  assert.equal(JSON.parse(printed.output).input.timezone, 'Europe/Berlin');
  assert.doesNotMatch(printed.output, /s3cret/);
});

test('unreachable or misnamed services: exit 1 naming the host and the setting, within the connect timeout', async () => {
  const down = await freePort();
  assertMessage(await runCli(['processor'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${down}/x`, REDIS_URL }), 1,
    new RegExp(`cannot use PostgreSQL at 127\\.0\\.0\\.1:${down}/x \\(DATABASE_URL\\): connection refused`));
  assertMessage(await runCli(['status'], { PG_HOST: 'no-such-host.invalid' }), 1, /PostgreSQL at no-such-host\.invalid:5432\/postgres \(PG_HOST\/PG_PORT\/PG_DB\/PG_USER\/PG_PASSWORD\): host name not found/);
  const db = await tempDatabase();
  cleanups.push(db.drop);
  assertMessage(await runCli(['status'], { DATABASE_URL: db.url.replace(db.name, 'no_such_db') }), 1, /database "no_such_db" does not exist/);
  assertMessage(await runCli(['processor'], { DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${down}` }), 1,
    new RegExp(`cannot use Redis Streams at redis://127\\.0\\.0\\.1:${down} \\(stream logpipe:chunks\\) \\(REDIS_URL\\): connection refused`));
  assertMessage(await runCli(['status', '--queue-url', `${REDIS_URL}/99`], { DATABASE_URL: db.url }), 1, /Redis Streams at .*\/99 .*\(--queue-url\): ERR DB index is out of range/);
  // Nothing was created in the database by the commands that failed, nor by the read-only one.
  assertMessage(await runCli(['status'], { DATABASE_URL: db.url }), 1, /no logpipe schema in .*: run `logpipe init-db`/);
  const pg = await import('pg');
  const c = new pg.default.Client({ connectionString: db.url });
  await c.connect();
  const schemas = (await c.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'logpipe%'`)).rows[0].n;
  await c.end();
  assert.equal(schemas, 0, 'status created no schema');
});

test('commands that only read create no embedded cluster', async () => {
  const dir = temp.dir();
  const env = { LOGPIPE_CONFIG: join(dir, 'c.json') };
  writeFileSync(env.LOGPIPE_CONFIG, JSON.stringify({ embedded: { dir: join(dir, 'pg') } }));
  for (const cmd of [['status'], ['queries']]) assertMessage(await runCli(cmd, env), 2, /no database: set DATABASE_URL .*or run `logpipe run` once/);
  assert.equal(existsSync(join(dir, 'pg')), false);
});

test('embedded PostgreSQL: shared by two commands at once; SIGINT ends run with its summary and exit 0; a processor exits 0 on SIGTERM', { timeout: 120_000 }, async () => {
  const dir = temp.dir();
  const logs = join(dir, 'logs');
  generate({ files: 2, lines: 2_000, out: logs, seed: 3, dirty: 0 });
  const config = join(dir, 'c.json');
  writeFileSync(config, JSON.stringify({ embedded: { dir: join(dir, 'pg'), port: await freePort() }, reader: { pollMs: 100 } }));
  const env = { LOGPIPE_CONFIG: config, LOG_DIR: logs, LOGPIPE_LOG_LEVEL: 'info', LOGPIPE_LOG_FORMAT: 'json' };
  const run = startCli(['run', '--follow'], env);
  await until(async () => /"msg":"run ready"/.test(run.output()), 60_000, 'run ready');
  await until(async () => /4,000 lines read, 4,000 committed/.test((await runCli(['status'], env)).output), 20_000, 'everything committed');
  const status = await runCli(['status'], env);
  assert.equal(status.code, 0, status.output);
  assert.match(status.output, /using the embedded PostgreSQL another logpipe command runs/);
  run.child.kill('SIGINT');
  assert.equal(await run.exited, 0, run.output());
  assert.match(run.output(), /logpipe run: /);
  assert.match(run.output(), /"msg":"run stopped"/);
  assert.equal(existsSync(join(dir, 'pg', 'postmaster.pid')), false, 'the command that started the cluster stopped it');
  const prefix = `lp_emb_${process.pid}`;
  cleanups.push(() => dropQueue(REDIS_URL, prefix));
  const processor = startCli(['processor'], { ...env, REDIS_URL, LOGPIPE_QUEUE_PREFIX: prefix, LOGPIPE_METRICS_PORT: '0' });
  await until(async () => /"msg":"processor ready"/.test(processor.output()), 60_000, 'processor ready');
  processor.child.kill('SIGTERM');
  assert.equal(await processor.exited, 0, processor.output());
  assert.match(processor.output(), /"msg":"processor stopped"/);
});

async function scrape(port: number, path = '/metrics'): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

function metricSum(body: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of body.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

test("a processor's /metrics agree with the database after a run over Redis; /readyz follows PostgreSQL down and back", { timeout: 120_000, skip: pgCluster() === null && 'needs root and pg_ctlcluster' }, async () => {
  const dir = temp.dir();
  const report = generate({ files: 2, lines: 10_000, out: dir, seed: 9, dirty: 0.03 });
  const f = await pipelineFixture(dir, { LOGPIPE_SETTLE_MS: '0', LOGPIPE_CHUNK_MAX_LINES: '1000' });
  cleanups.push(f.cleanup);
  const port = await freePort();
  const processor = startCli(['processor', '--metrics-port', String(port)], f.env);
  await until(async () => (await scrape(port, '/healthz').catch(() => ({ status: 0 }))).status === 200, 20_000, '/healthz');
  assert.equal((await runCli(['reader'], f.env)).code, 0);
  const { body } = await scrape(port);
  const rows = Object.fromEntries(await Promise.all(LOG_TYPES.map(async (t) => [t.name, (await f.pool.query(`SELECT count(*)::int AS n FROM public.${t.table}`)).rows[0].n])));
  for (const t of LOG_TYPES) assert.equal(metricSum(body, 'logpipe_records_total', { log_type: t.name }), rows[t.name], `records of ${t.name}`);
  assert.equal(metricSum(body, 'logpipe_records_total'), Object.values(report.records).reduce((a, b) => a + b, 0));
  const byReason = (await f.pool.query(`SELECT reason, coalesce(log_type, 'none') AS t, count(*)::int AS n FROM logpipe.quarantine GROUP BY 1, 2`)).rows;
  assert.ok(byReason.length >= 4, 'dirty data quarantines under several reasons');
  for (const r of byReason) assert.equal(metricSum(body, 'logpipe_quarantined_total', { log_type: r.t, reason: r.reason }), r.n, `${r.t} ${r.reason}`);
  assert.equal(metricSum(body, 'logpipe_quarantined_total'), report.quarantined);
  assert.equal(metricSum(body, 'logpipe_blank_lines_total'), report.blank);
  assert.equal(metricSum(body, 'logpipe_chunks_committed_total'), (await f.pool.query(`SELECT count(*)::int AS n FROM logpipe.chunks`)).rows[0].n);
  assert.ok(metricSum(body, 'logpipe_batch_commit_seconds_count') > 0);
  assert.equal(metricSum(body, 'logpipe_queue_depth'), 0);
  assert.equal(metricSum(body, 'logpipe_files', { state: 'done' }), 2);
  assert.match(body, /^logpipe_process_resident_memory_bytes \d+/m, 'process metrics');
  assert.doesNotMatch(body, /file=|path=|src_ip=|username=/, 'no unbounded labels');

  assert.equal((await scrape(port, '/readyz')).status, 200);
  pgCtl('stop');
  try {
    const down = await scrape(port, '/readyz');
    assert.equal(down.status, 503, down.body);
    assert.match(down.body, /postgres: .*(ECONNREFUSED|connect|terminat)/i);
    assert.match(down.body, /queue: ok/);
    assert.equal((await scrape(port, '/healthz')).status, 200, 'alive all the same');
  } finally {
    pgCtl('start');
  }
  await until(async () => (await scrape(port, '/readyz')).status === 200, 20_000, '/readyz 200 again, same process');
  assert.equal(processor.child.exitCode, null, 'not restarted');
  processor.child.kill('SIGTERM');
  assert.equal(await processor.exited, 0, processor.output());
});

test('a processor whose Redis goes away names it while retrying, and stops at once on SIGTERM', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const redis: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  cleanups.push(async () => {
    redis.kill('SIGKILL');
  });
  const f = await pipelineFixture(temp.dir(), { LOGPIPE_QUEUE_URL: `redis://127.0.0.1:${port}`, LOGPIPE_LOG_LEVEL: 'info', LOGPIPE_LOG_FORMAT: 'json' });
  cleanups.push(f.cleanup);
  await until(() => listening(port), 20_000, 'the private redis-server listening');
  const processor = startCli(['processor', '--metrics-port', '0'], f.env);
  await until(async () => /"msg":"processor ready"/.test(processor.output()), 20_000, 'processor ready');
  redis.kill('SIGKILL');
  await until(async () => /queue unreachable, retrying/.test(processor.output()), 20_000, 'a retry logged');
  assert.match(processor.output(), new RegExp(`"queue":"redis://127\\.0\\.0\\.1:${port} `), 'the retry names the Redis it waits for');
  const t = Date.now();
  processor.child.kill('SIGTERM');
  assert.equal(await processor.exited, 0, processor.output());
  assert.ok(Date.now() - t < 3_000, `stopped ${Date.now() - t} ms after SIGTERM`);
});

test('logs: a ready line and a stop line naming what was connected to, never the password; readable on request', async () => {
  const dir = temp.dir();
  generate({ files: 1, lines: 500, out: dir, seed: 1, dirty: 0 });
  const f = await pipelineFixture(dir, { LOGPIPE_LOG_LEVEL: 'info' });
  cleanups.push(f.cleanup);
  // trust authentication ignores the password: it is there to be kept out of every output.
  const url = f.env.DATABASE_URL.replace('postgres@', 'postgres:pw-that-must-not-leak@');
  const json = await runCli(['run', '--no-summary', '--log-format', 'json'], { ...f.env, DATABASE_URL: url, LOGPIPE_QUEUE_URL: '' });
  assert.equal(json.code, 0, json.output);
  const lines = json.output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const ready = lines.find((l) => l.msg === 'run ready');
  assert.ok(ready, json.output);
  assert.match(ready.postgres, /^127\.0\.0\.1:5432\/logpipe_test_/);
  assert.equal(ready.queue, 'in-process');
  assert.ok(lines.find((l) => l.msg === 'run done' && l.records === 500), 'stop line with totals');
  assert.doesNotMatch(json.output, /pw-that-must-not-leak/);
  const again = await runCli(['run', '--no-summary', '--log-format', 'json'], { ...f.env, LOGPIPE_QUEUE_URL: '' });
  assert.match(again.output, /nothing new to read/, 'a run with nothing new says so');
  const pretty = await runCli(['run', '--no-summary', '--log-format', 'pretty'], { ...f.env, LOGPIPE_QUEUE_URL: '' });
  assert.equal(pretty.code, 0, pretty.output);
  assert.match(pretty.output, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(run\): run ready/m);
  assert.doesNotMatch(pretty.output, /^\{"level"/m);
});

test('status --watch refreshes with rates, as plain text when stdout is not a terminal', async () => {
  const dir = temp.dir();
  generate({ files: 1, lines: 1_000, out: dir, seed: 2, dirty: 0.05 });
  const f = await pipelineFixture(dir, { LOGPIPE_SETTLE_MS: '0' });
  cleanups.push(f.cleanup);
  assert.equal((await runCli(['run', '--no-summary'], { ...f.env, LOGPIPE_QUEUE_URL: '' })).code, 0);
  const watch = await runCli(['status', '--watch', '--interval', '200', '--count', '3'], f.env);
  assert.equal(watch.code, 0, watch.output);
  assert.equal(watch.output.match(/^logpipe status — /gm)?.length, 3);
  assert.equal(watch.output.match(/^rates: read 0\/s lines, committed 0\/s lines/gm)?.length, 2, 'rates from the second refresh on');
  assert.match(watch.output, /^quarantine: (\w+ \d+(, )?)+$/m);
  assert.match(watch.output, /^queue: depth 0, pending 0, lag 0, consumers 0 \(redis:\/\//m);
  assert.doesNotMatch(watch.output, /\x1b\[/, 'no terminal escapes in plain output');
});

test('"1 row", not "1 rows"; npm start builds only when the sources changed', async () => {
  const dir = temp.dir();
  writeFileSync(join(dir, 'one.log'), '2024-01-15T01:30:00.000Z|action=accept|src=192.168.1.50|dst=10.0.0.1|dst_port=443\n');
  const f = await pipelineFixture(dir);
  cleanups.push(f.cleanup);
  const run = await runCli(['run'], { ...f.env, LOGPIPE_QUEUE_URL: '' });
  assert.match(run.output, /logpipe run: 1 record, 0 quarantined/);
  assert.match(run.output, /^Q1 .* — 1 row, /m);
  const bundle = packagePath('dist', 'logpipe.mjs');
  const before = statSync(bundle).mtimeMs;
  const check = await new Promise<number | null>((resolve) =>
    spawn(process.execPath, [packagePath('scripts', 'build-if-stale.mjs')], { cwd: packagePath(), stdio: 'ignore' }).on('exit', resolve));
  assert.equal(check, 0);
  assert.equal(statSync(bundle).mtimeMs, before, 'no rebuild of an up-to-date bundle');
  assert.ok((await committedLines(f.pool)) === 1);
});
