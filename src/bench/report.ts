/**
 * The benchmark's results: their shape, the medians over repeats, and the files written from
 * them (JSON for `logpipe cost` and machines, Markdown and an SVG chart for people).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, type QueueServerCpu } from './measure.js';

/** naive, logpipe-<queue backend> (as logpipe-redis, logpipe-nats), logpipe-run, copy-floor, copy-parallel, copy-rollups. */
export type ContenderId = string;

/** The (b) contender of a report: logpipe over a shared queue (the first one, when several ran). */
export function pipelineOf<T extends { id: ContenderId }>(runs: T[]): T | undefined {
  return runs.find((r) => r.id.startsWith('logpipe-') && r.id !== 'logpipe-run');
}

export interface ProcessUsage {
  role: string;
  cpuSeconds: number;
  maxRssBytes: number;
}

export interface ContenderRun {
  id: ContenderId;
  label: string;
  /** Input lines this contender was given. */
  lines: number;
  /** Rows it wrote to the log tables. */
  rows: number;
  wallSeconds: number;
  processes: ProcessUsage[];
  /** CPU seconds of the PostgreSQL server during the run; null if not measurable (remote server). */
  postgresCpuSeconds: number | null;
  /** CPU seconds of the queue's server (Redis, NATS) during the run, where measurable (absent in reports from before it was). */
  queueServer?: QueueServerCpu | null;
  queue: { messages: number; bytes: number } | null;
  /** On-disk bytes (tables, indexes, bookkeeping) per row written. */
  bytesPerRow: number | null;
  /** [seconds since start, rows] samples. */
  timeline: [number, number][];
}

export interface QueryLatency {
  id: string;
  title: string;
  naiveMs: number;
  naiveAccess: string;
  logpipeMs: number;
  logpipeAccess: string;
  logpipeRows: number;
}

export interface ContenderSummary {
  id: ContenderId;
  label: string;
  lines: number;
  rows: number;
  wallSeconds: number;
  rowsPerSecond: number;
  ratioToNaive: number;
  /** Against (d), one COPY stream. */
  ratioToFloor: number;
  /** Against (d'), a COPY stream per table at once: the reference of the goal (null when it did not run). */
  ratioToParallelFloor: number | null;
  /**
   * The machine's cores this contender kept busy: its processes' CPU and PostgreSQL's over its
   * wall time (median over repeats); null where PostgreSQL's CPU is not measured (a remote server).
   */
  coresBusy: number | null;
  /**
   * The most it could reach against (d') with the CPU it spent, were every core busy from start to
   * end: its rows over (its processes' and PostgreSQL's CPU / the machine's cores), against (d')'s
   * rate. Near it, the contender waits for CPU, not for a stage: only spending less CPU makes it
   * faster. Null without (d') or PostgreSQL's CPU.
   */
  ceilingToParallelFloor: number | null;
  /** From launch to the first committed rows (median; the timeline's resolution, ~0.1 s): start-up. */
  firstRowsSeconds: number | null;
  /**
   * Rate between 10% and 90% of the rows committed: the pipeline once started, without process
   * start-up and the first batch. For the COPY floors (whose clock starts with connections open
   * and whose progress counts rows sent, not loaded) it is the whole-run rate.
   */
  steadyRowsPerSecond: number;
  steadyRatioToFloor: number;
  /** Per process: median CPU seconds per million input lines and median peak RSS. */
  processes: { role: string; cpuSecondsPerMillionLines: number; maxRssBytes: number }[];
  postgresCpuSecondsPerMillionLines: number | null;
  /** The queue server's median CPU seconds per million input lines (a service beside logpipe, as PostgreSQL is), or null. */
  queueServer: { name: string; cpuSecondsPerMillionLines: number } | null;
  queueMessages: number | null;
  queueBytes: number | null;
  bytesPerRow: number | null;
}

export interface BenchReport {
  startedAt: string;
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; postgres: string; redis: string };
  dataset: { dir: string; files: number; lines: number; records: number; naiveLines: number; naiveNote: string };
  repeats: ContenderRun[][];
  summary: ContenderSummary[];
  queries: QueryLatency[];
  notes: string[];
}

const rate = (r: ContenderRun) => r.rows / r.wallSeconds;

/** When the run's first rows were committed (the first timeline sample holding any), or null if none. */
export function firstRowsAt(r: ContenderRun): number | null {
  return r.timeline.find(([, n]) => n > 0)?.[0] ?? null;
}

export function steadyRate(r: ContenderRun): number {
  if (r.id.startsWith('copy')) return rate(r);
  const at = (share: number) => r.timeline.find(([, n]) => n >= share * r.rows);
  const a = at(0.1);
  const b = at(0.9);
  if (!a || !b || b[0] <= a[0]) return rate(r);
  return (b[1] - a[1]) / (b[0] - a[0]);
}

/** logpipe's processes' CPU and PostgreSQL's in a run (the queue server's not: it may run elsewhere); null without PostgreSQL's. */
function machineCpuSeconds(r: ContenderRun): number | null {
  return r.postgresCpuSeconds === null ? null : r.processes.reduce((a, p) => a + p.cpuSeconds, r.postgresCpuSeconds);
}

/**
 * Medians over the repeats, each contender's rate relative to the naive one and the COPY floors,
 * and how much of the machine's `cores` its CPU took.
 */
export function summarize(repeats: ContenderRun[][], cores: number): ContenderSummary[] {
  const ids = [...new Set(repeats.flat().map((r) => r.id))];
  const rates = new Map(ids.map((id) => [id, median(repeats.flat().filter((r) => r.id === id).map(rate))]));
  return ids.map((id) => {
    const runs = repeats.flat().filter((r) => r.id === id);
    const roles = [...new Set(runs.flatMap((r) => r.processes.map((p) => p.role)))];
    const lines = runs[0].lines;
    const pgCpu = runs.map((r) => r.postgresCpuSeconds).filter((v): v is number => v !== null);
    const steady = median(runs.map(steadyRate));
    const queueCpu = runs.map((r) => r.queueServer).filter((q): q is QueueServerCpu => Boolean(q));
    const machineCpu = runs.map(machineCpuSeconds).filter((v): v is number => v !== null);
    const measured = machineCpu.length === runs.length;
    return {
      id,
      label: runs[0].label,
      lines,
      rows: runs[0].rows,
      wallSeconds: median(runs.map((r) => r.wallSeconds)),
      rowsPerSecond: rates.get(id)!,
      ratioToNaive: rates.get(id)! / (rates.get('naive') ?? NaN),
      ratioToFloor: rates.get(id)! / (rates.get('copy-floor') ?? NaN),
      ratioToParallelFloor: rates.has('copy-parallel') ? rates.get(id)! / rates.get('copy-parallel')! : null,
      coresBusy: measured ? median(runs.map((r, i) => machineCpu[i] / r.wallSeconds)) : null,
      // Its rows at the rate of its CPU spread over every core, against (d')'s rate.
      ceilingToParallelFloor: measured && rates.has('copy-parallel') ? (runs[0].rows * cores) / median(machineCpu) / rates.get('copy-parallel')! : null,
      firstRowsSeconds: firstRows(runs),
      steadyRowsPerSecond: steady,
      steadyRatioToFloor: steady / (rates.get('copy-floor') ?? NaN),
      processes: roles.map((role) => {
        const ps = runs.flatMap((r) => r.processes.filter((p) => p.role === role));
        return { role, cpuSecondsPerMillionLines: median(ps.map((p) => p.cpuSeconds)) / (lines / 1e6), maxRssBytes: median(ps.map((p) => p.maxRssBytes)) };
      }),
      postgresCpuSecondsPerMillionLines: pgCpu.length ? median(pgCpu) / (lines / 1e6) : null,
      queueServer: queueCpu.length ? { name: queueCpu[0].name, cpuSecondsPerMillionLines: median(queueCpu.map((q) => q.cpuSeconds)) / (lines / 1e6) } : null,
      queueMessages: runs[0].queue ? median(runs.map((r) => r.queue!.messages)) : null,
      queueBytes: runs[0].queue ? median(runs.map((r) => r.queue!.bytes)) : null,
      bytesPerRow: runs[0].bytesPerRow === null ? null : median(runs.map((r) => r.bytesPerRow!)),
    };
  });
}

function firstRows(runs: ContenderRun[]): number | null {
  const at = runs.map(firstRowsAt).filter((t): t is number => t !== null);
  return at.length ? median(at) : null;
}

const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
const fixed = (v: number | null, d = 1) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(d));
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

export function markdownReport(r: BenchReport): string {
  const s = r.summary;
  const out: string[] = [
    `## logpipe bench — ${r.startedAt}`,
    '',
    `\`${r.command}\` on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.postgres}, Redis ${r.machine.redis}.`,
    `Data: ${int(r.dataset.lines)} lines in ${r.dataset.files} files (${r.dataset.dir}), ${int(r.dataset.records)} records. ${r.dataset.naiveNote}`,
    `Medians of ${r.repeats.length} repeat${r.repeats.length === 1 ? '' : 's'}.`,
    '',
    `| contender | lines | rows | wall s | first rows s | rows/s | × naive | × COPY floor (d) | × (d') | cores busy (of ${r.machine.cpus}) | × (d') at most, by its CPU | steady rows/s (× floor) | CPU s per M lines (per process) | peak RSS | queue msgs | queue bytes | bytes/row on disk |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|',
  ];
  for (const c of s) {
    const cpu = [
      ...c.processes.map((p) => `${p.role} ${fixed(p.cpuSecondsPerMillionLines)}`),
      ...(c.postgresCpuSecondsPerMillionLines === null ? [] : [`postgres ${fixed(c.postgresCpuSecondsPerMillionLines)}`]),
      ...(c.queueServer ? [`${c.queueServer.name} ${fixed(c.queueServer.cpuSecondsPerMillionLines)}`] : []),
    ].join(', ');
    const rss = c.processes.map((p) => `${p.role} ${mib(p.maxRssBytes)}`).join(', ') || '–';
    out.push(
      `| ${c.label} | ${int(c.lines)} | ${int(c.rows)} | ${fixed(c.wallSeconds, 2)} | ${fixed(c.firstRowsSeconds, 2)} | ${int(c.rowsPerSecond)} | ${fixed(c.ratioToNaive, 1)} | ` +
        `${fixed(c.ratioToFloor, 2)} | ${fixed(c.ratioToParallelFloor, 2)} | ${fixed(c.coresBusy, 2)} | ${fixed(c.ceilingToParallelFloor, 2)} | ${int(c.steadyRowsPerSecond)} (${fixed(c.steadyRatioToFloor, 2)}) | ${cpu || '–'} | ${rss} | ${c.queueMessages === null ? '–' : int(c.queueMessages)} | ` +
        `${c.queueBytes === null ? '–' : int(c.queueBytes)} | ${c.bytesPerRow === null ? '–' : int(c.bytesPerRow)} |`,
    );
  }
  if (r.queries.length) {
    out.push('', '### Analyst queries (median ms; access path from EXPLAIN)', '', '| query | naive JSONB `logs` | logpipe | rows |', '|---|---:|---:|---:|');
    for (const q of r.queries) {
      out.push(`| ${q.id.toUpperCase()} ${q.title} | ${fixed(q.naiveMs, 2)} (${q.naiveAccess}) | ${fixed(q.logpipeMs, 2)} (${q.logpipeAccess}) | ${int(q.logpipeRows)} |`);
    }
  }
  if (r.notes.length) out.push('', ...r.notes.map((n) => `- ${n}`));
  out.push('', '![rows over time](chart.svg)', '');
  return out.join('\n');
}

const COLOURS: Record<ContenderId, string> = {
  naive: '#d62728', 'logpipe-redis': '#1f77b4', 'logpipe-nats': '#9467bd', 'logpipe-run': '#2ca02c', 'copy-floor': '#7f7f7f', 'copy-parallel': '#bcbd22', 'copy-rollups': '#17becf',
};

/** Rows over time, one line per contender (from the last repeat). */
export function svgChart(runs: ContenderRun[], width = 720, height = 360): string {
  const pad = { left: 70, right: 170, top: 20, bottom: 40 };
  const maxT = Math.max(1e-3, ...runs.flatMap((r) => r.timeline.map(([t]) => t)));
  const maxRows = Math.max(1, ...runs.flatMap((r) => r.timeline.map(([, n]) => n)));
  const x = (t: number) => pad.left + (t / maxT) * (width - pad.left - pad.right);
  const y = (n: number) => height - pad.bottom - (n / maxRows) * (height - pad.top - pad.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<line x1="${pad.left}" y1="${y(0)}" x2="${x(maxT)}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${pad.left}" y1="${y(0)}" x2="${pad.left}" y2="${y(maxRows)}" stroke="black"/>`,
    `<text x="${(pad.left + x(maxT)) / 2}" y="${height - 8}" text-anchor="middle">seconds</text>`,
    `<text x="${pad.left - 8}" y="${y(maxRows) + 4}" text-anchor="end">${int(maxRows)}</text>`,
    `<text x="${pad.left - 8}" y="${y(0) + 4}" text-anchor="end">0</text>`,
    `<text x="${x(maxT)}" y="${y(0) + 16}" text-anchor="end">${maxT.toFixed(1)}</text>`,
    `<text x="14" y="${(pad.top + y(0)) / 2}" transform="rotate(-90 14 ${(pad.top + y(0)) / 2})" text-anchor="middle">rows written</text>`,
  ];
  runs.forEach((r, i) => {
    const points = [[0, 0] as [number, number], ...r.timeline].map(([t, n]) => `${x(t).toFixed(1)},${y(n).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${COLOURS[r.id] ?? '#17becf'}" stroke-width="2" points="${points}"/>`);
    const ly = pad.top + 10 + i * 18;
    parts.push(`<rect x="${width - pad.right + 12}" y="${ly - 9}" width="12" height="12" fill="${COLOURS[r.id] ?? '#17becf'}"/>`);
    parts.push(`<text x="${width - pad.right + 30}" y="${ly + 1}">${escapeXml(r.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** Writes bench-<time>.json, latest.json (what `logpipe cost` reads), report.md and chart.svg. */
export function writeReport(dir: string, r: BenchReport): { json: string; latest: string; markdown: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const files = { json: join(dir, `bench-${stamp}.json`), latest: join(dir, 'latest.json'), markdown: join(dir, 'report.md'), svg: join(dir, 'chart.svg') };
  const json = JSON.stringify(r, null, 2) + '\n';
  writeFileSync(files.json, json);
  writeFileSync(files.latest, json);
  writeFileSync(files.markdown, markdownReport(r));
  writeFileSync(files.svg, svgChart(r.repeats[r.repeats.length - 1] ?? []));
  return files;
}
