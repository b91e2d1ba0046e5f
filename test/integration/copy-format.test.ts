/**
 * COPY's binary format against its text format on the real PostgreSQL: the same lines, parsed
 * once with each, must leave the same rows, value for value (PostgreSQL's text input is the
 * reference for every binary encoder: timestamps rounded to microseconds, IPv6 forms, UTF-8
 * text, jsonb, bigints, nulls), over generated lines, every type's examples and cases, and the
 * real hosts' line shapes of test/fixtures/real-lines.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { generate } from '../../src/generator/generate.js';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { configureParsing, DEFAULT_PARSE_SETTINGS, parseChunk } from '../../src/processor/parse-chunk.js';
import type { CopyFormat } from '../../src/store/copy-buffer.js';
import { copyColumnTypes } from '../../src/store/copy-plan.js';
import { createPool, withClient } from '../../src/store/db.js';
import { initDb } from '../../src/store/init.js';
import { REAL_LINES } from '../fixtures/real-lines.js';
import { writeRows } from '../helpers/rows.js';
import { tempDatabase, type TempDatabase } from '../helpers/services.js';

const FW = (ts: string, src: string, dst: string, more = '') => `${ts}|action=accept|src=${src}|dst=${dst}|proto=TCP|src_port=1|dst_port=22|bytes_sent=10|rule=r${more}`;

/** Values where an encoder could differ from PostgreSQL's input functions. */
const EDGES = [
  // fractions: none, 1–6 digits, 7–9 digits rounded half to even, rounding into the next second
  FW('2024-03-01T10:00:00Z', '10.0.0.1', '10.0.0.2'),
  FW('2024-03-01T10:00:00.5Z', '10.0.0.1', '10.0.0.2'),
  FW('2024-03-01T10:00:00.123456Z', '10.0.0.1', '10.0.0.2'),
  FW('2024-03-01T10:00:00.1234565Z', '10.0.0.1', '10.0.0.2'),
  FW('2024-03-01T10:00:00.1234575Z', '10.0.0.1', '10.0.0.2'),
  FW('2024-03-01T10:00:00.123456789Z', '10.0.0.1', '10.0.0.2'),
  FW('2024-03-01T10:00:00.9999995Z', '10.0.0.1', '10.0.0.2'),
  FW('2024-03-01T10:00:00.000000500Z', '10.0.0.1', '10.0.0.2'),
  // offsets, before PostgreSQL's epoch, the Unix epoch, far ahead
  FW('2024-03-01T01:30:00.25-05:30', '10.0.0.1', '10.0.0.2'),
  FW('2024-03-01T23:59:59.999+14:00', '10.0.0.1', '10.0.0.2'),
  FW('1999-12-31T23:59:59.999999Z', '10.0.0.1', '10.0.0.2'),
  FW('1970-01-01T00:00:00.000001Z', '10.0.0.1', '10.0.0.2'),
  FW('2099-12-31T23:59:59.75Z', '10.0.0.1', '10.0.0.2'),
  // addresses
  FW('2024-03-01T10:00:01Z', '0.0.0.0', '255.255.255.255'),
  FW('2024-03-01T10:00:01Z', '::', '::1'),
  FW('2024-03-01T10:00:01Z', '1::', 'fe80::1:2'),
  FW('2024-03-01T10:00:01Z', '::ffff:192.0.2.1', '2001:DB8:0:0:1:0:0:1'),
  FW('2024-03-01T10:00:01Z', '2001:db8:85a3:8d3:1319:8a2e:370:7348', '64:ff9b::198.51.100.7'),
  FW('2024-03-01T10:00:01Z', '2001:db8::', '1:2:3:4:5:6:7::'),
  // text and jsonb: escapes, quotes, non-ASCII, big numbers
  FW('2024-03-01T10:00:02Z', '10.0.0.1', '10.0.0.2', '|note=tab\\back "q" é 漢字 🙂|zone=dmz'),
  '2024-03-01T10:00:02Z|action=drop|src=10.0.0.1|dst=10.0.0.2|bytes_sent=9007199254740991|rule=Règle_été',
  '2024-03-01T10:00:03Z|action=drop|src=10.0.0.1|dst=10.0.0.2',
  '2024-03-01T10:00:03.5+01:00 bastion sshd[77]: Failed password for invalid user jürgen from 2001:db8::dead:beef port 22 ssh2',
  '2024-03-01T10:00:04Z client 192.168.1.5#53 query: Ünïcode-Domain.example IN AAAA + (fe80::53)',
];

function allLines(dir: string): string[] {
  const report = generate({ files: 1, lines: 20_000, out: dir, seed: 11, dirty: 0.05, days: 3, types: LOG_TYPES.map((t) => t.name) });
  const generated = readFileSync(report.files[0], 'utf8').split('\n').filter((l) => l.length > 0);
  const fromTypes = LOG_TYPES.flatMap((t) => [...t.examples, ...(t.cases ?? []).map((c) => c.line)]);
  return [...EDGES, ...fromTypes, ...REAL_LINES.map((c) => c.line), ...generated];
}

const dbs: Record<CopyFormat, { db: TempDatabase; pool: pg.Pool }> = {} as never;

before(async () => {
  for (const format of ['text', 'binary'] as const) {
    const db = await tempDatabase();
    const pool = createPool(db.url, 2);
    const c = await pool.connect();
    try {
      await initDb(c);
    } finally {
      c.release();
    }
    dbs[format] = { db, pool };
  }
});
after(async () => {
  configureParsing(DEFAULT_PARSE_SETTINGS);
  for (const { db, pool } of Object.values(dbs)) {
    await pool.end();
    await db.drop();
  }
});

async function load(pool: pg.Pool, format: CopyFormat, payload: Buffer, lineCount: number): Promise<number> {
  configureParsing({ ...DEFAULT_PARSE_SETTINGS, copyFormat: format });
  const { rows } = parseChunk({ fileId: 7, start: 0, end: payload.length, firstLine: 1, lineCount, payload, mtime: Date.UTC(2024, 5, 1) });
  assert.ok(rows.rows.every((b) => b.rows === 0 || b.format === format), `rows encoded as ${format}`);
  await writeRows(pool, rows);
  return rows.records;
}

test('binary COPY leaves exactly the rows text COPY leaves, for every log type and awkward value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'logpipe-copy-format-'));
  try {
    const lines = allLines(dir);
    const payload = Buffer.from(lines.join('\n') + '\n');
    const records = { text: await load(dbs.text.pool, 'text', payload, lines.length), binary: await load(dbs.binary.pool, 'binary', payload, lines.length) };
    assert.equal(records.binary, records.text);
    assert.ok(records.text > 20_000 * 0.9, `most lines are records (${records.text})`);
    for (const type of LOG_TYPES) {
      // Each row as PostgreSQL prints it: every column in its canonical text form.
      const sql = `SELECT t::text AS r FROM public.${type.table} t ORDER BY file_id, line_no`;
      const [text, binary] = await Promise.all([dbs.text.pool.query(sql), dbs.binary.pool.query(sql)]);
      assert.ok(text.rowCount! > 0, `${type.name}: rows written`);
      assert.deepEqual(binary.rows.map((r) => r.r), text.rows.map((r) => r.r), `${type.name}: the same rows`);
    }
    const edges = (await dbs.binary.pool.query(`SELECT ts, host(src_ip) s, host(dst_ip) d FROM firewall_logs WHERE line_no <= 8 ORDER BY line_no`)).rows;
    assert.deepEqual(edges.map((e) => (e.ts as Date).toISOString()), [
      '2024-03-01T10:00:00.000Z', '2024-03-01T10:00:00.500Z', '2024-03-01T10:00:00.123Z', '2024-03-01T10:00:00.123Z',
      '2024-03-01T10:00:00.123Z', '2024-03-01T10:00:00.123Z', '2024-03-01T10:00:01.000Z', '2024-03-01T10:00:00.000Z',
    ], 'the instants themselves (the text COPY is not merely wrong the same way)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a table with a column of another type than declared takes its rows as text; the others stay binary', async () => {
  const { pool } = dbs.binary;
  await pool.query('ALTER TABLE public.auth_logs ALTER COLUMN pid TYPE numeric');
  const plan = await withClient(pool, copyColumnTypes);
  assert.deepEqual(plan.textTables, ['auth_logs']);
  configureParsing({ ...DEFAULT_PARSE_SETTINGS, copyTypes: plan.types });
  const lines = [
    '2024-03-02T10:00:00Z|action=accept|src=10.0.0.1|dst=10.0.0.2',
    '2024-03-02T10:00:01Z bastion sshd[4242]: Failed password for root from 10.0.0.9 port 22 ssh2',
  ];
  const payload = Buffer.from(lines.join('\n') + '\n');
  const { rows } = parseChunk({ fileId: 8, start: 0, end: payload.length, firstLine: 1, lineCount: 2, payload });
  const index = (name: string) => LOG_TYPES.findIndex((t) => t.name === name);
  assert.equal(rows.rows[index('auth')].format, 'text');
  assert.equal(rows.rows[index('firewall')].format, 'binary');
  await writeRows(pool, rows);
  assert.deepEqual((await pool.query(`SELECT pid::text FROM auth_logs WHERE file_id = 8`)).rows, [{ pid: '4242' }]);
  assert.equal((await pool.query(`SELECT count(*)::int AS n FROM firewall_logs WHERE file_id = 8`)).rows[0].n, 1);
});
