/**
 * The naive baseline is the yardstick, so it must be the seed's pipeline: one LPUSH per line,
 * one row per INSERT, each in its own transaction, into the `logs` table of DESIGN §3.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { generate } from '../../src/generator/generate.js';
import { naiveParse } from '../../src/naive/parse.js';
import type { UsageReport } from '../../src/core/usage.js';
import { REDIS_URL, tempDatabase, uniqueName, type TempDatabase } from '../helpers/services.js';
import { killStragglers, runCli, startCli, until } from '../helpers/pipeline.js';

let dir: string;
let db: TempDatabase;
let redis: Redis;
const list = uniqueName('naive_log_queue');
let nonEmpty = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'logpipe-naive-'));
  generate({ files: 2, lines: 300, out: dir, seed: 5, dirty: 0 });
  // Blank and whitespace-only lines are never pushed; a line no parser knows is pushed, then dropped.
  appendFileSync(join(dir, 'logs_0001.log'), '\n   \r\nnot a log line at all\n');
  nonEmpty = ['logs_0000.log', 'logs_0001.log']
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.trim() !== '').length;
  db = await tempDatabase();
  redis = new Redis(REDIS_URL);
});
afterEach(killStragglers);
after(async () => {
  await redis.del(list);
  redis.disconnect();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function lpushCalls(): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(/cmdstat_lpush:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

test('parsers: the seed shapes parse to strings; the rest is dropped', () => {
  const fw = naiveParse('2024-01-15T10:23:45.123Z|action=accept|src=192.168.1.100|dst=10.0.0.50|proto=TCP|dst_port=443');
  assert.deepEqual(fw, {
    logType: 'firewall', timestamp: '2024-01-15T10:23:45.123Z',
    parsed: { action: 'accept', src: '192.168.1.100', dst: '10.0.0.50', proto: 'TCP', dst_port: '443' },
  });
  assert.equal(naiveParse('2024-01-15T10:23:45.123Z client 192.168.1.9 query: evil-domain.com IN A + (10.1.2.3) NXDOMAIN')?.parsed.query_domain, 'evil-domain.com');
  assert.equal(naiveParse('2024-01-15T10:23:45.123Z auth-srv01 sshd[123]: Failed password for root from 192.168.1.7 port 50000 ssh2')?.parsed.status, 'Failed');
  // The seed drops OpenSSH's invalid-user variant; the yardstick keeps that behaviour.
  assert.equal(naiveParse('2024-01-15T10:23:45.123Z auth-srv01 sshd[123]: Failed password for invalid user x from 192.168.1.7 port 50000 ssh2'), null);
  assert.equal(naiveParse('garbage'), null);
});

test('reader: one LPUSH per non-empty line, one JSON message each', async () => {
  const usageFile = join(dir, 'reader-usage.json');
  const before = await lpushCalls();
  const out = await runCli(['naive', 'reader', '--once', '--list', list], { REDIS_URL, LOG_DIR: dir, LOGPIPE_USAGE_FILE: usageFile });
  assert.equal(out.code, 0, out.output);
  assert.equal(await redis.llen(list), nonEmpty);
  assert.equal((await lpushCalls()) - before, nonEmpty, 'one LPUSH call per line');
  const first = JSON.parse((await redis.lindex(list, -1))!);
  assert.deepEqual(Object.keys(first), ['line', 'source_file']);
  assert.equal(first.source_file, 'logs_0000.log');
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as UsageReport;
  assert.equal(usage.role, 'naive-reader');
  assert.equal(usage.counters.messages, nonEmpty);
  assert.ok(usage.counters.queueBytes > nonEmpty * 50);
});

test('processor: BRPOP one by one, one row per INSERT and per transaction, the seed schema', async () => {
  const proc = startCli(['naive', 'processor', '--list', list], { REDIS_URL, DATABASE_URL: db.url });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const rows = async () => {
      try {
        return (await client.query('SELECT count(*)::int AS n FROM logs')).rows[0].n as number;
      } catch {
        return 0; // table not created yet
      }
    };
    await until(async () => (await redis.llen(list)) === 0 && (await rows()) === nonEmpty - 1, 60_000, 'the naive processor to drain the list');
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited, 0, proc.output());

    // Every row has its own transaction id: one INSERT, one COMMIT per row.
    const tx = (await client.query('SELECT count(DISTINCT xmin::text)::int AS n FROM logs')).rows[0].n;
    assert.equal(tx, nonEmpty - 1);

    const cols = (await client.query(
      `SELECT column_name, data_type, character_maximum_length AS len, column_default AS def
         FROM information_schema.columns WHERE table_name = 'logs' ORDER BY ordinal_position`,
    )).rows;
    assert.deepEqual(cols.map((c) => [c.column_name, c.data_type, c.len]), [
      ['id', 'integer', null], ['log_type', 'character varying', 50], ['raw_line', 'text', null],
      ['timestamp', 'character varying', 50], ['source_file', 'character varying', 255], ['parsed_data', 'jsonb', null],
      ['indexed_at', 'timestamp without time zone', null],
    ]);
    assert.match(cols[0].def, /nextval/);
    assert.match(cols[6].def, /now\(\)/);
    const pk = (await client.query(`SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'logs'`)).rows[0].n;
    assert.equal(pk, 1, 'only the primary key, as in the seed');

    const keys = (await client.query(`SELECT log_type, array_agg(DISTINCT k ORDER BY k) AS keys FROM logs, jsonb_object_keys(parsed_data) k GROUP BY 1 ORDER BY 1`)).rows;
    assert.deepEqual(keys, [
      { log_type: 'auth', keys: ['auth_method', 'hostname', 'pid', 'source_ip', 'source_port', 'status', 'username'] },
      { log_type: 'dns', keys: ['client_ip', 'query_domain', 'query_type', 'response_code', 'server_ip'] },
      { log_type: 'firewall', keys: ['action', 'bytes_sent', 'dst', 'dst_port', 'proto', 'rule', 'src', 'src_port'] },
    ]);
    const types = (await client.query(`SELECT jsonb_typeof(parsed_data->'pid') AS t FROM logs WHERE log_type = 'auth' LIMIT 1`)).rows[0].t;
    assert.equal(types, 'string', 'values are stored as strings');
  } finally {
    await client.end();
  }
});
