/**
 * Running logpipe as real child processes (so they can be killed) against a test's own
 * database and Redis prefix, and checking the result: exact counts, no duplicates.
 */
import assert from 'node:assert/strict';
import type pg from 'pg';
import { spawnCli, type CliProcess } from '../../src/core/spawn.js';
import { wait } from '../../src/core/wait.js';
import { createPool, withClient } from '../../src/store/db.js';
import { initDb } from '../../src/store/init.js';
import { dropQueue, REDIS_URL, tempDatabase, uniqueName, type TempDatabase } from './services.js';
import type { GenerateReport } from '../../src/generator/generate.js';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { DEFAULT_WATCHED_PORTS, ROLLUPS } from '../../src/logtypes/rollups.js';
import { hourlyCountsDifferences, rollupDifferences } from '../../src/store/rollups.js';
import { committedTotals, fileStatuses } from '../../src/store/status.js';

export type Proc = CliProcess;

const running = new Set<CliProcess>();

/** SIGKILLs every child a test started and did not see exit (a failed test must not leave them). */
export async function killStragglers(): Promise<void> {
  const left = [...running];
  for (const p of left) p.child.kill('SIGKILL');
  await Promise.all(left.map((p) => p.exited));
}

/** logpipe as a child process with exactly `env` (LOGPIPE_LOG_LEVEL warn unless given); `as`: another user. */
export function startCli(args: string[], env: Record<string, string>, as?: { uid: number; gid: number }): Proc {
  const p = spawnCli(args, { env, as });
  running.add(p);
  void p.exited.then(() => running.delete(p));
  return p;
}

export async function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
  as?: { uid: number; gid: number },
): Promise<{ code: number | null; output: string }> {
  const p = startCli(args, env, as);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, output: p.output() };
}

export interface PipelineFixture {
  db: TempDatabase;
  pool: pg.Pool;
  prefix: string;
  queueUrl: string;
  /** Environment for logpipe child processes: this fixture's database, queue (URL and prefix) and LOG_DIR. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * A database and a queue of their own for one test (on the server at `queueUrl`: Redis unless
 * told), and the environment pointing at them.
 */
export async function pipelineFixture(logDir: string, settings: Record<string, string> = {}, queueUrl = REDIS_URL): Promise<PipelineFixture> {
  const db = await tempDatabase();
  const pool = createPool(db.url, 2);
  // The administrator's step: logpipe's roles make no schema of their own.
  await withClient(pool, initDb);
  const prefix = uniqueName('lp');
  return {
    db, pool, prefix, queueUrl,
    env: { DATABASE_URL: db.url, LOGPIPE_QUEUE_URL: queueUrl, LOGPIPE_QUEUE_PREFIX: prefix, LOG_DIR: logDir, LOGPIPE_CLAIM_IDLE_MS: '500', ...settings },
    async cleanup() {
      await pool.end();
      await db.drop();
      await dropQueue(queueUrl, prefix);
    },
  };
}

/** Polls until `check` returns true or the time is up. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await wait(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lines committed so far; 0 while the pipeline has not created its schema yet. */
export async function committedLines(pool: pg.Pool): Promise<number> {
  return (await committedTotals(pool)).lines;
}

/**
 * Every line of the generator's report is where it must be: exactly the expected rows per table,
 * the expected quarantine, no (file, line) twice anywhere, per-file counts adding up.
 */
export async function assertExactlyOnce(pool: pg.Pool, report: GenerateReport): Promise<void> {
  for (const t of LOG_TYPES) {
    const n = (await pool.query(`SELECT count(*)::bigint AS n FROM public.${t.table}`)).rows[0].n;
    assert.equal(n, report.records[t.name], `${t.table} rows`);
  }
  const q = (await pool.query(`SELECT count(*)::bigint AS n FROM logpipe.quarantine`)).rows[0].n;
  assert.equal(q, report.quarantined, 'quarantined lines');
  const union = [...LOG_TYPES.map((t) => `SELECT file_id, line_no FROM public.${t.table}`), 'SELECT file_id, line_no FROM logpipe.quarantine'].join(' UNION ALL ');
  const dups = (await pool.query(`SELECT count(*)::bigint AS n FROM (SELECT file_id, line_no FROM (${union}) u GROUP BY 1, 2 HAVING count(*) > 1) d`)).rows[0].n;
  assert.equal(dups, 0, 'no (file, line) written twice');
  const files = await fileStatuses(pool);
  assert.equal(files.length, report.files.length);
  for (const f of files) {
    assert.equal(f.status, 'done', f.path);
    assert.equal(f.balanced, true, `${f.path}: lines read = records + quarantined + blank`);
  }
  assert.equal(files.reduce((a, f) => a + f.linesRead, 0), report.lines, 'lines read');
  assert.equal(files.reduce((a, f) => a + f.blank, 0), report.blank, 'blank lines');
  // The seed's benchmark counts rows over every table in public: that must be the records.
  const tables = (await pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows.map((r) => r.tablename);
  let seedCount = 0;
  for (const t of tables) seedCount += (await pool.query(`SELECT count(*)::bigint AS n FROM public.${t}`)).rows[0].n;
  assert.equal(seedCount, Object.values(report.records).reduce((a, b) => a + b, 0), "seed's count over public");
  // Rollups agree with the tables.
  const hourly = (await pool.query(`SELECT log_type, sum(events)::bigint AS n FROM logpipe.hourly_counts GROUP BY 1`)).rows;
  for (const t of LOG_TYPES) assert.equal(hourly.find((h) => h.log_type === t.name)?.n ?? 0, report.records[t.name], `hourly rollup of ${t.name}`);
  await assertRollupsMatch(pool);
}

/** Every declared rollup, and the hourly counts, equal the GROUP BY over their log tables (with the database's watched ports). */
export async function assertRollupsMatch(pool: pg.Pool): Promise<void> {
  const ports = (await pool.query(`SELECT value FROM logpipe.settings WHERE key = 'watchedPorts'`)).rows[0]?.value ?? DEFAULT_WATCHED_PORTS;
  const client = await pool.connect();
  try {
    for (const r of ROLLUPS) assert.equal(await rollupDifferences(client, r, ports), 0, `rollup ${r.type.name}_${r.def.name} equals its GROUP BY`);
    assert.equal(await hourlyCountsDifferences(client), 0, 'hourly counts equal their GROUP BY');
  } finally {
    client.release();
  }
}
