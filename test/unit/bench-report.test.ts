/** The benchmark's report: medians and ratios, and the files written from them. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { markdownReport, steadyRate, summarize, svgChart, writeReport, type BenchReport, type ContenderRun, type ContenderId } from '../../src/bench/report.js';

const dir = mkdtempSync(join(tmpdir(), 'logpipe-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(id: ContenderId, rows: number, wallSeconds: number, cpu: number): ContenderRun {
  return {
    id, label: `(${id})`, lines: rows, rows, wallSeconds,
    processes: id.startsWith('copy') ? [] : [{ role: 'processor', cpuSeconds: cpu, maxRssBytes: 100 * 2 ** 20 }],
    postgresCpuSeconds: 1, queue: id.startsWith('copy') ? null : { messages: 10, bytes: 1000 },
    bytesPerRow: 200, timeline: [[wallSeconds / 2, rows / 2], [wallSeconds, rows]],
    ...(id.startsWith('logpipe') ? { queueServer: { name: 'redis-server', cpuSeconds: cpu / 4 } } : {}),
  };
}

// Three repeats; the medians are the middle values, whatever the order.
const repeats: ContenderRun[][] = [
  [run('naive', 1000, 1.0, 2), run('logpipe-redis', 100_000, 2.0, 1.0), run('copy-floor', 100_000, 0.5, 0)],
  [run('naive', 1000, 0.5, 1), run('logpipe-redis', 100_000, 1.0, 0.5), run('copy-floor', 100_000, 1.0, 0)],
  [run('naive', 1000, 2.0, 3), run('logpipe-redis', 100_000, 4.0, 2.0), run('copy-floor', 100_000, 2.0, 0)],
];
/** The same repeats with a (d') run each, loading 100,000 rows in 0.25 s (400,000 rows/s). */
const withParallelFloor = (cores: number) => summarize(repeats.map((r) => [...r, run('copy-parallel', 100_000, 0.25, 0)]), cores);

test('summary: medians over repeats, ratios to the naive rate and to the COPY floor', () => {
  const s = summarize(repeats, 2);
  const naive = s.find((c) => c.id === 'naive')!;
  const logpipe = s.find((c) => c.id === 'logpipe-redis')!;
  const floor = s.find((c) => c.id === 'copy-floor')!;
  assert.equal(naive.rowsPerSecond, 1000); // rates 1000, 2000, 500 → median 1000
  assert.equal(logpipe.rowsPerSecond, 50_000);
  assert.equal(floor.rowsPerSecond, 100_000);
  assert.equal(logpipe.ratioToNaive, 50);
  assert.equal(logpipe.ratioToFloor, 0.5);
  assert.equal(logpipe.wallSeconds, 2.0);
  assert.equal(logpipe.processes[0].cpuSecondsPerMillionLines, 10); // median 1.0 s over 0.1 M lines
  assert.equal(naive.processes[0].cpuSecondsPerMillionLines, 2000);
  assert.equal(floor.queueMessages, null);
  assert.deepEqual(logpipe.queueServer, { name: 'redis-server', cpuSecondsPerMillionLines: 2.5 }); // median 0.25 s over 0.1 M lines
  assert.equal(floor.queueServer, null);
  assert.equal(naive.queueServer, null, 'a run without the figure (a report from before it) has none');
  assert.equal(logpipe.firstRowsSeconds, 1.0); // first samples at 1.0, 0.5, 2.0 s
  assert.equal(logpipe.ratioToParallelFloor, null, 'no (d\') in these repeats');
  assert.equal(withParallelFloor(2).find((c) => c.id === 'logpipe-redis')!.ratioToParallelFloor, 0.125); // 50,000 / 400,000
});

test('summary: the cores a contender kept busy, and the most its CPU allows against (d\')', () => {
  // logpipe's runs: processor 1.0, 0.5, 2.0 s and PostgreSQL 1 s each, over 2.0, 1.0 and 4.0 s of wall time.
  const s = summarize(repeats, 2);
  const logpipe = s.find((c) => c.id === 'logpipe-redis')!;
  assert.equal(logpipe.coresBusy, 1.0); // 2.0 / 2.0, 1.5 / 1.0, 3.0 / 4.0 → median 1.0
  assert.equal(s.find((c) => c.id === 'copy-floor')!.coresBusy, 1); // PostgreSQL's 1 s over 0.5, 1.0, 2.0 s → 2, 1, 0.5
  assert.equal(logpipe.ceilingToParallelFloor, null, 'no (d\') to compare with');

  // 100,000 rows over (median 2.0 CPU-s / 2 cores) = 100,000 rows/s at most, against (d')'s 400,000; twice that on 4 cores.
  assert.equal(withParallelFloor(2).find((c) => c.id === 'logpipe-redis')!.ceilingToParallelFloor, 0.25);
  assert.equal(withParallelFloor(4).find((c) => c.id === 'logpipe-redis')!.ceilingToParallelFloor, 0.5);

  // Without PostgreSQL's CPU (a remote server) neither figure can be told.
  const remote = summarize(repeats.map((r) => r.map((c) => ({ ...c, postgresCpuSeconds: null }))), 2);
  assert.ok(remote.every((c) => c.coresBusy === null && c.ceilingToParallelFloor === null));
});

test('steady rate: between 10% and 90% of the rows, leaving out start-up', () => {
  const r: ContenderRun = {
    ...run('logpipe-redis', 100, 3, 1),
    // 1 s of start-up with no rows, then 10 rows every 0.2 s.
    timeline: [[0.5, 0], [1.0, 0], [1.2, 10], [1.4, 20], [1.6, 30], [1.8, 40], [2.0, 50], [2.2, 60], [2.4, 70], [2.6, 80], [2.8, 90], [3.0, 100]],
  };
  assert.ok(Math.abs(steadyRate(r) - 50) < 1e-9, String(steadyRate(r))); // (90 - 10) rows / (2.8 - 1.2) s
  assert.equal(steadyRate(run('copy-floor', 100, 2, 0)), 50); // floors: the whole-run rate
});

test('report files: JSON (also as latest.json), Markdown table, SVG chart with one line per contender', () => {
  const report: BenchReport = {
    startedAt: '2026-11-26T10:00:00.000Z', command: 'logpipe bench --repeat 3',
    machine: { cpus: 2, cpuModel: 'test cpu', memoryGiB: 24, node: '20', postgres: 'PostgreSQL 15', redis: '7' },
    dataset: { dir: 'data', files: 1, lines: 100_000, records: 100_000, naiveLines: 1000, naiveNote: 'subset' },
    repeats, summary: summarize(repeats, 2),
    queries: [{ id: 'q1', title: 'one IP', naiveMs: 50, naiveAccess: 'seq scan', logpipeMs: 0.5, logpipeAccess: 'index', logpipeRows: 3 }],
    notes: ['a note'],
  };
  const files = writeReport(dir, report);
  for (const f of Object.values(files)) assert.ok(existsSync(f), f);
  assert.deepEqual(JSON.parse(readFileSync(files.latest, 'utf8')), report);
  const md = readFileSync(files.markdown, 'utf8');
  assert.equal(md, markdownReport(report));
  // first rows at the timeline's first sample (half the wall time): median 1.00; no (d') ran: –; one core busy of 2
  assert.match(md, /\| cores busy \(of 2\) \|/);
  assert.match(md, /\| \(logpipe-redis\) \| 100,000 \| 100,000 \| 2\.00 \| 1\.00 \| 50,000 \| 50\.0 \| 0\.50 \| – \| 1\.00 \| – \| 50,000 \(0\.50\) \| processor 10\.0, postgres 10\.0, redis-server 2\.5 \| processor 100 MiB \| 10 \| 1,000 \| 200 \|/);
  assert.match(md, /\| Q1 one IP \| 50\.00 \(seq scan\) \| 0\.50 \(index\) \| 3 \|/);
  assert.match(md, /- a note/);
  const svg = readFileSync(files.svg, 'utf8');
  assert.equal(svg, svgChart(repeats[2]));
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 3);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
});
