/**
 * Least privilege, TLS and secrets, on the real servers: login members of logpipe_ingest ingest
 * the seed's 50K set and can destroy nothing; members of logpipe_analyst read and write nothing;
 * a TLS-only connection (verify-full, a CA the test makes) ingests and queries; passwords from
 * files reach PostgreSQL and Redis and appear in no output; rediss:// with the test CA.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { generate, type GenerateReport } from '../../src/generator/generate.js';
import { createPool } from '../../src/store/db.js';
import { ADMIN_URL, dropQueue, pgCluster, privateRedisServer, REDIS_URL, tempDatabase, testCertificates, uniqueName, type TempDatabase } from '../helpers/services.js';
import { assertExactlyOnce, killStragglers, runCli, startCli, until } from '../helpers/pipeline.js';

let dir: string;
let report: GenerateReport;
const cleanups: (() => Promise<unknown>)[] = [];

let rolesExisted = true;

before(async () => {
  // The group roles are the cluster's: removed after the tests if they made them.
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  rolesExisted = (await c.query(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname IN ('logpipe_ingest', 'logpipe_analyst')`)).rows[0].n === 2;
  await c.end();
  dir = mkdtempSync(join(tmpdir(), 'logpipe-sec-'));
  chmodSync(dir, 0o755);
  report = generate({ files: 5, lines: 10_000, out: join(dir, 'logs'), seed: 42, dirty: 0 }); // the seed's 50K set
});
afterEach(killStragglers);
after(async () => {
  for (const c of cleanups.reverse()) await c();
  if (!rolesExisted) await admin('DROP ROLE IF EXISTS logpipe_ingest, logpipe_analyst').catch(() => {}); // still granted in another database: kept
  rmSync(dir, { recursive: true, force: true });
});

async function admin(sql: string, params: unknown[] = []): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql, params);
  } finally {
    await c.end();
  }
}

/** A database made by its administrator with `init-db --roles`, and a login user in `role`. */
async function databaseWithUser(role: 'logpipe_ingest' | 'logpipe_analyst', db?: TempDatabase) {
  db ??= await tempDatabase();
  const made = db;
  cleanups.push(() => made.drop());
  const init = await runCli(['init-db', '--roles'], { DATABASE_URL: db.url });
  assert.equal(init.code, 0, init.output);
  assert.match(init.output, /granted logpipe_ingest and logpipe_analyst their rights/);
  const user = uniqueName(role === 'logpipe_ingest' ? 'ing' : 'ana').toLowerCase();
  await admin(`CREATE ROLE ${user} LOGIN IN ROLE ${role}`);
  cleanups.push(() => admin(`DROP ROLE IF EXISTS ${user}`).catch(() => {}));
  const url = new URL(db.url);
  url.username = user;
  return { db, user, url: url.toString() };
}

/** A reader and a processor with `env` ingest the seed's set; checked as the administrator (`adminUrl`). */
async function readerAndProcessor(env: Record<string, string>, adminUrl: string): Promise<void> {
  const processor = startCli(['processor'], env);
  const reader = await runCli(['reader'], env);
  assert.equal(reader.code, 0, reader.output + processor.output());
  processor.child.kill('SIGTERM');
  assert.equal(await processor.exited, 0, processor.output());
  const pool = createPool(adminUrl, 2);
  try {
    await assertExactlyOnce(pool, report);
  } finally {
    await pool.end();
  }
}

/** What `user` may not do: each statement refused for want of a right. */
async function assertRefused(url: string, statements: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const sql of statements) {
      await assert.rejects(c.query(sql), (e: { code?: string }) => e.code === '42501' || /must be owner/.test(String(e)), sql);
    }
  } finally {
    await c.end();
  }
}

test('a member of logpipe_ingest ingests the seed\'s 50K set (reader + processor, and run) and can delete, truncate or drop nothing', { timeout: 180_000 }, async () => {
  const { db, url } = await databaseWithUser('logpipe_ingest');
  const prefix = uniqueName('sec');
  cleanups.push(() => dropQueue(REDIS_URL, prefix));
  const env = { DATABASE_URL: url, LOGPIPE_QUEUE_URL: REDIS_URL, LOGPIPE_QUEUE_PREFIX: prefix, LOG_DIR: join(dir, 'logs'), LOGPIPE_METRICS_PORT: '0' };
  await readerAndProcessor(env, db.url);
  const again = await databaseWithUser('logpipe_ingest');
  const run = await runCli(['run', '--no-summary'], { DATABASE_URL: again.url, LOG_DIR: join(dir, 'logs') });
  assert.equal(run.code, 0, run.output);
  const pool2 = createPool(again.db.url, 2);
  try {
    await assertExactlyOnce(pool2, report);
  } finally {
    await pool2.end();
  }
  await assertRefused(url, [
    'DELETE FROM public.firewall_logs', 'TRUNCATE public.dns_logs', 'DROP TABLE public.auth_logs', 'DELETE FROM logpipe.chunks', 'TRUNCATE logpipe.quarantine',
    'UPDATE public.firewall_logs SET rule = NULL', 'CREATE TABLE public.x (a int)', `SELECT * FROM logpipe.apply_retention(1, now(), false)`,
    `DROP TABLE logpipe_partitions.firewall_logs_p20240115`, 'ALTER TABLE public.dns_logs ADD COLUMN x int',
  ]);
});

test('a member of logpipe_analyst runs status, queries and query, and can write nothing', { timeout: 120_000 }, async () => {
  const ingest = await databaseWithUser('logpipe_ingest');
  assert.equal((await runCli(['run', '--no-summary'], { DATABASE_URL: ingest.url, LOG_DIR: join(dir, 'logs') })).code, 0);
  const { url, user } = await databaseWithUser('logpipe_analyst', ingest.db);
  const env = { DATABASE_URL: url };
  const status = await runCli(['status'], env);
  assert.equal(status.code, 0, status.output);
  assert.match(status.output, /totals: 50,000 lines read, 50,000 committed/);
  const queries = await runCli(['queries', '--rows', '1'], env);
  assert.equal(queries.code, 0, queries.output);
  assert.match(queries.output, /^Q2A DNS queries for one IOC domain/m);
  const query = await runCli(['query', 'dns-domain', '--domain', 'evil-domain.com', '--limit', '3'], env);
  assert.equal(query.code, 0, query.output);
  assert.match(query.output, /3 rows in/);
  const run = await runCli(['run', '--no-summary'], { ...env, LOG_DIR: join(dir, 'logs') });
  assert.equal(run.code, 1);
  assert.match(run.output, new RegExp(`user "${user}" lacks INSERT on logpipe\\.chunks.*GRANT logpipe_ingest TO "${user}"`));
  await assertRefused(url, [
    `INSERT INTO public.firewall_logs (ts, action, src_ip, dst_ip, file_id, line_no) VALUES (now(), 'accept', '1.1.1.1', '2.2.2.2', 1, 1)`,
    'UPDATE logpipe.files SET path = NULL', 'DELETE FROM logpipe.quarantine', 'TRUNCATE logpipe.hourly_counts',
    `SELECT logpipe.ensure_partitions(ARRAY['dns_logs'], ARRAY[DATE '2030-01-01'])`, 'SELECT * FROM logpipe.retention_daily()',
  ]);
});

test('TLS only: verify-full with the test CA ingests and queries; an untrusted CA is refused with the reason', { timeout: 120_000, skip: pgCluster() === null && 'needs root and the local cluster' }, async () => {
  const certs = testCertificates(dir);
  const [uid, gid] = ['-u', '-g'].map((o) => Number(execFileSync('id', [o, 'postgres']).toString().trim()));
  for (const f of [certs.cert, certs.key]) chownSync(f, uid, gid);
  chmodSync(certs.key, 0o600);
  await admin(`ALTER SYSTEM SET ssl_cert_file = '${certs.cert}'`);
  await admin(`ALTER SYSTEM SET ssl_key_file = '${certs.key}'`);
  await admin(`ALTER SYSTEM SET ssl = on`);
  await admin('SELECT pg_reload_conf()');
  cleanups.push(async () => {
    await admin('ALTER SYSTEM RESET ssl');
    await admin('ALTER SYSTEM RESET ssl_cert_file');
    await admin('ALTER SYSTEM RESET ssl_key_file');
    await admin('SELECT pg_reload_conf()');
  });
  const db = await tempDatabase();
  cleanups.push(() => db.drop());
  const url = new URL(db.url);
  url.hostname = '127.0.0.1';
  const env = { DATABASE_URL: url.toString(), PGSSLMODE: 'verify-full', PGSSLROOTCERT: certs.ca, LOG_DIR: join(dir, 'logs'), LOGPIPE_LOG_LEVEL: 'info', LOGPIPE_LOG_FORMAT: 'json' };
  assert.equal((await runCli(['init-db'], env)).code, 0);
  const run = startCli(['run', '--no-summary'], env);
  // The pipeline's own connections are encrypted (what the server says, not what logpipe says).
  const probe = createPool(db.url, 1);
  cleanups.push(() => probe.end());
  let sawTls = false;
  await until(async () => {
    const r = await probe.query(`SELECT count(*)::int AS n FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = $1 AND a.application_name = 'logpipe' AND s.ssl`, [db.name]);
    sawTls ||= r.rows[0].n > 0;
    return sawTls || run.child.exitCode !== null;
  }, 60_000, 'a TLS connection from logpipe');
  assert.equal(await run.exited, 0, run.output());
  assert.ok(sawTls, 'logpipe connected with TLS');
  assert.match(run.output(), /"postgres":"127\.0\.0\.1:5432\/[a-z0-9_]+ \(TLS, verify-full\)"/);
  await assertExactlyOnce(probe, report);
  const query = await runCli(['query', 'failed-logins', '--ip', '192.168.1.77', '--limit', '2'], env);
  assert.equal(query.code, 0, query.output);
  assert.match(query.output, /2 rows in/);
  const other = mkdtempSync(join(dir, 'other-'));
  const untrusted = testCertificates(other);
  const refused = await runCli(['status'], { ...env, PGSSLROOTCERT: untrusted.ca });
  assert.equal(refused.code, 1);
  assert.match(refused.output, /cannot use PostgreSQL at 127\.0\.0\.1:5432\/\w+ \(TLS, verify-full\) \(DATABASE_URL\): TLS: the server's certificate/);
});

test('passwords from files reach PostgreSQL and Redis, and no output of any command shows them, nor those in URLs', { timeout: 180_000 }, async () => {
  const pgPassword = `pg-${randomBytes(9).toString('hex')}`;
  const redisPassword = `redis-${randomBytes(9).toString('hex')}`;
  const redis = await privateRedisServer(['--requirepass', redisPassword]);
  cleanups.push(() => redis.stop());
  const { db, user } = await databaseWithUser('logpipe_ingest');
  await admin(`ALTER ROLE ${user} PASSWORD '${pgPassword}'`);
  await admin(`GRANT logpipe_analyst TO ${user}`);
  const pgFile = join(dir, 'pg.pw');
  const redisFile = join(dir, 'redis.pw');
  writeFileSync(pgFile, pgPassword + '\n', { mode: 0o600 });
  writeFileSync(redisFile, redisPassword + '\n', { mode: 0o600 });
  const url = new URL(db.url);
  url.username = user;
  const fromFiles = {
    DATABASE_URL: url.toString(), PG_PASSWORD_FILE: pgFile, LOGPIPE_QUEUE_URL: `redis://127.0.0.1:${redis.port}`, REDIS_PASSWORD_FILE: redisFile,
    LOGPIPE_QUEUE_PREFIX: 'sec', LOG_DIR: join(dir, 'logs'), LOGPIPE_LOG_LEVEL: 'debug', LOGPIPE_METRICS_PORT: '0',
  };
  const outputs: string[] = [];
  const processor = startCli(['processor'], fromFiles);
  const reader = await runCli(['reader'], fromFiles);
  assert.equal(reader.code, 0, reader.output + processor.output());
  processor.child.kill('SIGTERM');
  assert.equal(await processor.exited, 0);
  outputs.push(reader.output, processor.output());
  for (const args of [['status'], ['status', '--json'], ['config'], ['config', '--json'], ['queries', '--rows', '1'], ['query', 'volume', '--top', '2'], ['run', '--no-summary']]) {
    const r = await runCli(args, fromFiles);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.output}`);
    outputs.push(r.output);
  }
  // The same secrets in URLs, and failures that print the URL they failed on.
  const inUrls = { ...fromFiles, PG_PASSWORD_FILE: '', REDIS_PASSWORD_FILE: '' };
  const withPw = new URL(url);
  withPw.password = pgPassword;
  inUrls.DATABASE_URL = withPw.toString();
  inUrls.LOGPIPE_QUEUE_URL = `redis://:${redisPassword}@127.0.0.1:${redis.port}`;
  for (const args of [['status'], ['config'], ['run', '--no-summary']]) outputs.push((await runCli(args, inUrls)).output);
  const wrong = await runCli(['status'], { ...fromFiles, LOGPIPE_QUEUE_URL: `redis://:${redisPassword}x@127.0.0.1:${redis.port}`, REDIS_PASSWORD_FILE: '' });
  assert.equal(wrong.code, 1, 'a wrong Redis password is an error');
  outputs.push(wrong.output);
  const noFile = await runCli(['status'], { ...fromFiles, PG_PASSWORD_FILE: join(dir, 'missing.pw') });
  assert.equal(noFile.code, 2, 'a password file that cannot be read is a configuration error');
  assert.match(noFile.output, /database\.passwordFile: cannot read .*missing\.pw: ENOENT/);
  outputs.push(noFile.output);
  const all = outputs.join('\n');
  assert.ok(all.length > 10_000, 'debug logs were produced');
  assert.equal(all.includes(pgPassword), false, 'the PostgreSQL password appears nowhere');
  assert.equal(all.includes(redisPassword), false, 'the Redis password appears nowhere');
  assert.match(all, /redis:\/\/:\*\*\*@127\.0\.0\.1/, 'URLs are shown with the password masked');
});

test('rediss://: the queue over TLS, its CA from queue.redis.tlsCaFile', { timeout: 120_000 }, async () => {
  const tlsDir = mkdtempSync(join(dir, 'redis-tls-'));
  const certs = testCertificates(tlsDir);
  const redis = await privateRedisServer(['--tls-cert-file', certs.cert, '--tls-key-file', certs.key, '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no'], true);
  cleanups.push(() => redis.stop());
  const db = await tempDatabase();
  cleanups.push(() => db.drop());
  const config = join(tlsDir, 'config.yaml');
  writeFileSync(config, `queue:\n  redis:\n    tlsCaFile: ${certs.ca}\n`);
  assert.equal((await runCli(['init-db'], { DATABASE_URL: db.url })).code, 0);
  const env = { DATABASE_URL: db.url, LOGPIPE_QUEUE_URL: `rediss://127.0.0.1:${redis.port}`, LOGPIPE_CONFIG: config, LOG_DIR: join(dir, 'logs'), LOGPIPE_METRICS_PORT: '0' };
  await readerAndProcessor(env, db.url);
  const plain = await runCli(['status'], { ...env, LOGPIPE_CONFIG: '', LOGPIPE_QUEUE_URL: `rediss://127.0.0.1:${redis.port}` });
  assert.equal(plain.code, 1, 'without the CA the server is not trusted');
});
