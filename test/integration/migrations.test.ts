/**
 * A database made by the previous release (test/fixtures/schema-v1.sql, with rows) is brought up
 * to date by init-db without losing a row, and the new columns take data; so is one of the
 * release before this one; N processes starting at once apply each migration exactly once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import pg from 'pg';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { ROLLUPS } from '../../src/logtypes/rollups.js';
import { configureParsing, DEFAULT_PARSE_SETTINGS, parseChunk } from '../../src/processor/parse-chunk.js';
import { copyColumnTypes } from '../../src/store/copy-plan.js';
import { createPool, withClient } from '../../src/store/db.js';
import { initDb, schemaVersion } from '../../src/store/init.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/migrations.js';
import { writeRollups } from '../../src/store/rollups.js';
import { emptyRollupColumns } from '../../src/store/rows.js';
import { rollupTable } from '../../src/store/schema.js';
import { writeRows } from '../helpers/rows.js';
import { tempDatabase, type TempDatabase } from '../helpers/services.js';

const V1 = readFileSync(new URL('../../../test/fixtures/schema-v1.sql', import.meta.url), 'utf8');
const dbs: TempDatabase[] = [];
after(async () => {
  for (const d of dbs) await d.drop();
});

/** A database as release 0.1.0 left it: its schema, a day's partitions, rows and bookkeeping. */
async function previousRelease(): Promise<TempDatabase> {
  const db = await tempDatabase();
  dbs.push(db);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(V1);
    for (const t of ['firewall_logs', 'dns_logs', 'auth_logs']) {
      await c.query(`CREATE TABLE logpipe_partitions.${t}_p20240115 (LIKE public.${t} INCLUDING DEFAULTS)`);
      await c.query(`ALTER TABLE public.${t} ATTACH PARTITION logpipe_partitions.${t}_p20240115 FOR VALUES FROM ('2024-01-15T00:00:00Z') TO ('2024-01-16T00:00:00Z')`);
    }
    await c.query(`INSERT INTO logpipe.files (fingerprint, fp_len, path, chunk_max_lines, chunk_max_bytes, lines_read, chunks_published, eof_offset, total_lines)
                   VALUES ('\\x01', 1024, '/old/a.log', 5000, 1048576, 3, 1, 300, 3), ('\\x02', 1024, '/old/b.log', 5000, 1048576, 1, 1, NULL, NULL)`);
    await c.query(`INSERT INTO logpipe.chunks VALUES (1, 0, 300, 1, 3, 3, 0, 0, now()), (2, 0, 90, 1, 1, 1, 0, 0, now())`);
    await c.query(`INSERT INTO public.firewall_logs (ts, action, src_ip, dst_ip, file_id, line_no) VALUES ('2024-01-15T01:00:00Z', 'accept', '10.0.0.1', '10.0.0.2', 1, 1)`);
    await c.query(`INSERT INTO public.dns_logs (ts, client_ip, query_domain, query_class, query_type, server_ip, response_code, file_id, line_no)
                   VALUES ('2024-01-15T01:00:01Z', '10.0.0.1', 'a.example', 'IN', 'A', '10.0.0.53', 'NOERROR', 1, 2)`);
    await c.query(`INSERT INTO public.auth_logs (ts, hostname, pid, status, username, invalid_user, source_ip, file_id, line_no)
                   VALUES ('2024-01-15T01:00:02Z', 'h', 1, 'Failed', 'root', false, '10.0.0.1', 1, 3), ('2024-01-15T01:00:03Z', 'h', 2, 'Accepted', 'bob', false, '10.0.0.3', 2, 1)`);
    await c.query(`INSERT INTO logpipe.hourly_counts VALUES ('firewall', '2024-01-15T01:00:00Z', 1)`);
  } finally {
    await c.end();
  }
  return db;
}

const counts = async (pool: pg.Pool) =>
  Object.fromEntries(await Promise.all(['public.firewall_logs', 'public.dns_logs', 'public.auth_logs', 'logpipe.files', 'logpipe.chunks', 'logpipe.hourly_counts']
    .map(async (t) => [t, (await pool.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n])));

test('init-db migrates a database of the previous release: rows intact, new columns in use', async () => {
  const db = await previousRelease();
  const pool = createPool(db.url, 2);
  try {
    const before = await counts(pool);
    assert.equal(await withClient(pool, schemaVersion), 1, 'no schema_migrations: the release before migrations');
    const r = await withClient(pool, initDb);
    // 0.1.0 had the seed's three log tables; those of every type added since are created.
    const v1 = ['firewall_logs', 'dns_logs', 'auth_logs'];
    assert.deepEqual({ ...r, granted: false }, { createdTables: LOG_TYPES.map((t) => t.table).filter((t) => !v1.includes(t)), migrated: MIGRATIONS.map((m) => m.name), bookkeepingReset: false, granted: false });
    assert.equal(await withClient(pool, schemaVersion), SCHEMA_VERSION);
    assert.deepEqual(await counts(pool), before, 'no row lost');
    const files = (await pool.query(`SELECT path, lines_read, read_offset, reading FROM logpipe.files ORDER BY id`)).rows;
    assert.deepEqual(files, [
      { path: '/old/a.log', lines_read: 3, read_offset: 300, reading: false },
      { path: '/old/b.log', lines_read: 1, read_offset: 90, reading: true },
    ], 'where reading got to, from the old end marker or the ledger');

    // The new columns take data: a syslog host, BIND without a response code, an RFC 5424 nil pid.
    const lines = [
      'Jan 15 10:23:45 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.7 DST=192.0.2.10 LEN=60 PROTO=TCP SPT=1 DPT=22',
      '15-Jan-2024 10:23:46.000 client @0x1 10.0.0.9#53 (x.example): view internal: query: x.example IN A + (10.0.0.53)',
      '<38>1 2024-01-15T10:23:47Z - sshd - - - Failed password for root from 192.0.2.1 port 22 ssh2',
    ];
    const payload = Buffer.from(lines.join('\n') + '\n');
    // As a processor does: rows encoded for the columns as they are (0.1.0's line_no is a bigint).
    const plan = await withClient(pool, copyColumnTypes);
    assert.deepEqual(plan.textTables, []);
    assert.equal(plan.types[LOG_TYPES.findIndex((t) => t.name === 'firewall')]!.at(-1), 'bigint', 'line_no written as 8 bytes');
    configureParsing({ ...DEFAULT_PARSE_SETTINGS, copyTypes: plan.types });
    const { rows } = parseChunk({ fileId: 2, start: 90, end: 90 + payload.length, firstLine: 2, lineCount: 3, payload, mtime: Date.UTC(2024, 0, 20) });
    configureParsing(DEFAULT_PARSE_SETTINGS);
    assert.equal(rows.records, 3);
    await writeRows(pool, rows);
    assert.deepEqual((await pool.query(`SELECT hostname, action, rule FROM firewall_logs WHERE line_no = 2`)).rows, [{ hostname: 'gw', action: 'drop', rule: 'UFW BLOCK' }]);
    assert.deepEqual((await pool.query(`SELECT view, response_code FROM dns_logs WHERE line_no = 3`)).rows, [{ view: 'internal', response_code: null }]);
    assert.deepEqual((await pool.query(`SELECT hostname, pid FROM auth_logs WHERE line_no = 4`)).rows, [{ hostname: null, pid: null }]);
    // The rollups were filled from the 0.1.0 rows (and the rows COPYed above, which bypass them, are not in them yet).
    assert.deepEqual((await pool.query(`SELECT username, day::text, events FROM logpipe.auth_failures_daily`)).rows, [{ username: 'root', day: '2024-01-15', events: 1 }]);
    assert.deepEqual((await pool.query(`SELECT src_ip, events FROM logpipe.firewall_sources_daily`)).rows, [{ src_ip: '10.0.0.1', events: 1 }]);
    assert.equal((await pool.query(`SELECT pg_typeof(status)::text AS t FROM auth_logs LIMIT 1`)).rows[0].t, 'logpipe.auth_status', 'status became an enum');
    assert.equal((await pool.query(`SELECT to_regclass('logpipe.daily_key_counts') AS t`)).rows[0].t, null, 'the old key-count rollup is gone');

    assert.deepEqual({ ...(await withClient(pool, initDb)), granted: false }, { createdTables: [], migrated: [], bookkeepingReset: false, granted: false }, 'a second run does nothing (granted: whether the cluster has the roles)');
  } finally {
    await pool.end();
  }
});

test('version 5 to 6: the (domain, client) pairs keep their rows, lose their count, and a pair met again is left as it is', async () => {
  const db = await tempDatabase();
  dbs.push(db);
  const pool = createPool(db.url, 1);
  const table = 'logpipe.dns_domain_clients_daily';
  const columns = async () => (await pool.query(`SELECT attname FROM pg_attribute WHERE attrelid = '${table}'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`)).rows.map((r) => r.attname);
  try {
    await withClient(pool, initDb);
    // The table as version 5 made it: a count per pair, room for its updates.
    await pool.query(`ALTER TABLE ${table} ADD COLUMN events bigint NOT NULL DEFAULT 0, SET (fillfactor = 50)`);
    await pool.query(`ALTER TABLE ${table} ALTER COLUMN events DROP DEFAULT`);
    await pool.query(`DELETE FROM logpipe.schema_migrations WHERE version = 6`);
    await pool.query(`INSERT INTO ${table} VALUES ('2024-01-15', 'evil.example', '10.0.0.1', 7)`);
    const r = await withClient(pool, initDb);
    assert.deepEqual(r.migrated, [MIGRATIONS.find((m) => m.version === 6)!.name]);
    assert.deepEqual(await columns(), ['day', 'query_domain', 'client_ip']);
    const dns = ROLLUPS.find((x) => x.def.presence)!;
    assert.equal(rollupTable(dns.type, dns.def), table);
    // A batch naming the pair again and a new one: one row added, the old one as it was.
    const counts = emptyRollupColumns();
    counts[dns.index] = { rows: 3, columns: ['19737\n19737\n19737', 'evil.example\nevil.example\nevil.example', '10.0.0.1\n10.0.0.2\n10.0.0.2'] };
    await withClient(pool, (c) => writeRollups(c, new Map([[1, [473_688, 1, 3]]]), counts));
    assert.deepEqual((await pool.query(`SELECT day::text, query_domain, client_ip FROM ${table} ORDER BY client_ip`)).rows, [
      { day: '2024-01-15', query_domain: 'evil.example', client_ip: '10.0.0.1' },
      { day: '2024-01-15', query_domain: 'evil.example', client_ip: '10.0.0.2' },
    ]);
    const fresh = await tempDatabase();
    dbs.push(fresh);
    const freshPool = createPool(fresh.url, 1);
    try {
      await withClient(freshPool, initDb);
      const reloptions = async (p: pg.Pool) => (await p.query(`SELECT reloptions FROM pg_class WHERE oid = '${table}'::regclass`)).rows[0].reloptions;
      assert.deepEqual(await reloptions(pool), await reloptions(freshPool), 'the same storage settings as a fresh database');
    } finally {
      await freshPool.end();
    }
  } finally {
    await pool.end();
  }
});

test('processes starting at once apply each migration exactly once', async () => {
  const db = await previousRelease();
  const pools = Array.from({ length: 4 }, () => createPool(db.url, 1));
  try {
    const results = await Promise.all(pools.map((p) => withClient(p, initDb)));
    assert.equal(results.flatMap((r) => r.migrated).length, MIGRATIONS.length, 'each migration by one of them');
    const versions = (await pools[0].query(`SELECT version FROM logpipe.schema_migrations ORDER BY 1`)).rows.map((r) => r.version);
    assert.deepEqual(versions, MIGRATIONS.map((m) => m.version));
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

test('a fresh database is created at the current version, every migration stamped', async () => {
  const db = await tempDatabase();
  dbs.push(db);
  const pool = createPool(db.url, 1);
  try {
    const r = await withClient(pool, initDb);
    assert.deepEqual(r.migrated, []);
    assert.equal(await withClient(pool, schemaVersion), SCHEMA_VERSION);
  } finally {
    await pool.end();
  }
});
