/**
 * The analysts' questions on three generated days, ingested by `logpipe run`: for every question
 * and many windows (whole days, partial days, inside one hour, open at either end), the answer
 * from rollups plus the window's edges equals the same question asked of the log tables
 * directly. Then `logpipe query` as an analyst uses it: formats, pages, --all, --explain, errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generate } from '../../src/generator/generate.js';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { DEFAULT_WATCHED_PORTS, ROLLUPS } from '../../src/logtypes/rollups.js';
import { INVESTIGATIONS, type QueryArgs } from '../../src/store/investigations.js';
import { fillHourlyCounts, fillRollup } from '../../src/store/rollups.js';
import { BOOK_SCHEMA, rollupTable } from '../../src/store/schema.js';
import { killStragglers, pipelineFixture, runCli, type PipelineFixture } from '../helpers/pipeline.js';

let dir: string;
let f: PipelineFixture;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'logpipe-inv-'));
  // Every log type, so that every question has rows to answer from.
  generate({ files: 3, lines: 30_000, out: dir, seed: 8, dirty: 0, start: Date.UTC(2024, 0, 15), days: 3, types: LOG_TYPES.map((t) => t.name) });
  f = await pipelineFixture(dir);
  const run = await runCli(['run', '--no-summary'], { ...f.env, LOGPIPE_QUEUE_URL: '' });
  assert.equal(run.code, 0, run.output);
});
after(async () => {
  await killStragglers();
  await f?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const W = (from: string | null, to: string | null) => ({ from: from ? new Date(from) : null, to: to ? new Date(to) : null });
const WINDOWS = [
  W(null, null),
  W('2024-01-16T00:00:00Z', '2024-01-17T00:00:00Z'),
  W('2024-01-15T10:30:00Z', '2024-01-17T02:15:00Z'),
  W('2024-01-16T05:10:00Z', '2024-01-16T05:50:00Z'),
  W('2024-01-16T07:20:00Z', null),
  W(null, '2024-01-15T18:45:30Z'),
];

test('every question, in every window, answers as its reference over the tables does', async () => {
  const withRows = new Set<string>();
  for (const q of INVESTIGATIONS) {
    for (const window of WINDOWS) {
      if (q.needs.includes('from') && !window.from) continue;
      // A watched port (from its rollup) and one that is not (from the table).
      for (const port of q.needs.includes('port') ? [q.seed.port!, 443] : [undefined]) {
        const a: QueryArgs = {
          window, limit: 50, top: 10, ip: q.seed.ip ?? '192.168.1.50', port,
          // A common domain besides the IOCs: lists with many rows.
          domains: q.list ? q.seed.domains ?? ['evil-domain.com'] : [...(q.seed.domains ?? []), 'google.com'],
        };
        const built = q.build(a, DEFAULT_WATCHED_PORTS);
        const got = (await f.pool.query(built.sql, built.params)).rows;
        const ref = q.reference(a);
        const want = (await f.pool.query(ref.sql, ref.params)).rows;
        assert.deepEqual(got, want, `${q.id} port ${port} in ${JSON.stringify(window)}`);
        if (want.length) withRows.add(q.id);
      }
    }
  }
  // Not a comparison of empty answers: every question found rows in some window.
  assert.deepEqual([...withRows].sort(), INVESTIGATIONS.map((q) => q.id).sort());
});

test('the hourly counts and every rollup, filled from the tables by one GROUP BY each (the benchmark\'s floor (e), a change of watched ports), equal what the processor kept', async () => {
  const tables = [`${BOOK_SCHEMA}.hourly_counts`, ...ROLLUPS.map((r) => rollupTable(r.type, r.def))];
  const client = await f.pool.connect();
  try {
    await client.query('BEGIN'); // rolled back: the other tests read what the processor kept
    for (const [i, t] of tables.entries()) await client.query(`CREATE TEMP TABLE kept_${i} AS SELECT * FROM ${t}`);
    await client.query(`TRUNCATE ${tables.join(', ')}`);
    await fillHourlyCounts(client);
    for (const r of ROLLUPS) await fillRollup(client, r, DEFAULT_WATCHED_PORTS);
    for (const [i, t] of tables.entries()) {
      const n = (await client.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n;
      assert.ok(n > 0, `${t} filled`);
      const diff = (await client.query(`SELECT (SELECT count(*) FROM (TABLE ${t} EXCEPT TABLE kept_${i}) a) + (SELECT count(*) FROM (TABLE kept_${i} EXCEPT TABLE ${t}) b) AS n`)).rows[0].n;
      assert.equal(Number(diff), 0, `${t}: filled by GROUP BY as kept batch by batch`);
    }
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
});

test('logpipe query: table, CSV and JSON lines; a page newest first, --all streamed; --explain; errors name what is missing', async () => {
  const env = { ...f.env, LOGPIPE_QUEUE_URL: '' };
  const table = await runCli(['query', 'dns-domain', '--domain', 'Evil-Domain.COM.', '--limit', '5'], env);
  assert.equal(table.code, 0, table.output);
  const lines = table.output.trim().split('\n');
  assert.match(lines[0], /^ts\s+client_ip\s+query_type\s+server_ip\s+response_code\s+hostname$/);
  assert.equal(lines.filter((l) => /^\d{4}-\d\d-\d\dT/.test(l)).length, 5);
  assert.match(table.output, /5 rows in [\d.]+ ms; the first 5 \(newest first\): --limit N or --all for more/);
  const stamps = lines.filter((l) => /^\d{4}-/.test(l)).map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(stamps, [...stamps].sort().reverse(), 'newest first');

  const all = await runCli(['query', 'dns-domain', '--domain', 'evil-domain.com', '--all', '--format', 'jsonl'], env);
  const rows = all.output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const total = (await f.pool.query(`SELECT count(*)::int AS n FROM dns_logs WHERE query_domain = 'evil-domain.com'`)).rows[0].n;
  assert.equal(rows.length, total, '--all: every row');
  assert.ok(total > 1_000, 'more than one stream batch');

  const iocs = join(dir, 'iocs.txt');
  writeFileSync(iocs, '# IOC list\nevil-domain.com\nMALWARE-C2.bad.\n\n');
  const csv = await runCli(['query', 'dns-iocs', '--ioc-file', iocs, '--from', '2024-01-16', '--to', '2024-01-16T12:00:00Z', '--format', 'csv'], env);
  assert.equal(csv.code, 0, csv.output);
  assert.match(csv.output, /^query_domain,queries,clients,first_seen,last_seen$/m);
  assert.match(csv.output, /^evil-domain\.com,\d+,\d+,2024-01-16T/m);
  assert.match(csv.output, /^malware-c2\.bad,\d+,\d+,2024-01-16T/m);

  const explain = await runCli(['query', 'port', '--port', '3389', '--explain'], env);
  assert.match(explain.output, /firewall_port_pairs_ranked/, 'a watched port over everything: the ranked rollup');
  const unwatched = await runCli(['query', 'port', '--port', '443', '--explain'], env);
  assert.match(unwatched.output, /firewall_logs_\w*dst_port\w*/, 'another port: the dst_port index');

  for (const [args, pattern] of [
    [['query', 'firewall-source', '--ip', '192.168.1.50'], /firewall-source needs a window: --from/],
    [['query', 'failed-logins'], /failed-logins needs --ip/],
    [['query', 'failed-logins', '--ip', '300.1.1.1'], /--ip must be an IPv4 or IPv6 address/],
    [['query', 'volume', '--from', '2024-01-17', '--to', '2024-01-16'], /--from .* must be before --to/],
    [['query', 'volume', '--from', 'tuesday'], /--from must be an ISO 8601 date or time/],
    [['query', 'top-talkers', '--format', 'xml'], /argument 'xml' is invalid\. It must be table, csv or jsonl/],
  ] as [string[], RegExp][]) {
    const r = await runCli(args, env);
    assert.equal(r.code, 2, r.output);
    assert.match(r.output, pattern);
  }
});
