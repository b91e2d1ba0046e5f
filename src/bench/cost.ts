/**
 * The cost model: what a pipeline costs per day at a given volume, from figures the benchmark
 * measured (messages and bytes per line, CPU per million lines, bytes per row) and list prices.
 * Pure arithmetic, so it can be checked by hand.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import '../core/zod-english.js'; // its error messages in English
import type { ContenderSummary } from './report.js';

const price = () => z.number().check(z.nonnegative());

export const PricesSchema = z.object({
  note: z.optional(z.string()),
  recorded: z.string().check(z.minLength(1)),
  queue: z.object({ name: z.string(), usdPerMillionRequests: price(), billedPayloadBytes: z.int().check(z.positive()), source: z.string() }),
  compute: z.object({ name: z.string(), usdPerVcpuHour: price(), source: z.string() }),
  storage: z.object({ name: z.string(), usdPerGbMonth: price(), source: z.string() }),
});
export type Prices = z.infer<typeof PricesSchema>;

export function loadPrices(path: string): Prices {
  const parsed = PricesSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** What the benchmark measured for one contender, per line of input. */
export interface MeasuredProfile {
  name: string;
  /** Queue messages per input line (1 for the naive pipeline; 1/5000 for logpipe's chunks). */
  messagesPerLine: number;
  /** Average payload bytes per message. */
  bytesPerMessage: number;
  /** CPU seconds per million lines, all processes of the pipeline including PostgreSQL's. */
  cpuSecondsPerMillionLines: number;
  /** Rows stored per input line (records; the naive pipeline drops what it cannot parse). */
  rowsPerLine: number;
  /** On-disk bytes per stored row, tables and indexes. */
  bytesPerRow: number;
}

/** What the cost model needs from one summarized contender of a bench report. */
export function profileOf(c: ContenderSummary, label: string): MeasuredProfile {
  if (c.queueMessages === null || c.queueBytes === null || c.bytesPerRow === null) throw new Error(`${c.label}: no queue or storage figures in the report`);
  // The queue server's CPU (c.queueServer) is left out: the model prices the queue as SQS, by request.
  const cpu = c.processes.reduce((a, p) => a + p.cpuSecondsPerMillionLines, 0) + (c.postgresCpuSecondsPerMillionLines ?? 0);
  return {
    name: label,
    messagesPerLine: c.queueMessages / c.lines,
    bytesPerMessage: c.queueBytes / c.queueMessages,
    cpuSecondsPerMillionLines: cpu,
    rowsPerLine: c.rows / c.lines,
    bytesPerRow: c.bytesPerRow,
  };
}

export interface CostOptions {
  linesPerDay: number;
  retentionDays: number;
}

export interface CostLine {
  name: string;
  queueMessagesPerDay: number;
  /** Each send and receive is billed per started 64 KB of payload; a delete is one request. */
  queueRequestsPerDay: number;
  queueUsdPerDay: number;
  vcpuHoursPerDay: number;
  computeUsdPerDay: number;
  /** Stored at steady state: rows per day × retention × bytes per row. */
  storageGb: number;
  storageUsdPerDay: number;
  totalUsdPerDay: number;
  totalUsdPerMonth: number;
}

const DAYS_PER_MONTH = 30;

export function costOf(p: MeasuredProfile, prices: Prices, o: CostOptions): CostLine {
  const messages = o.linesPerDay * p.messagesPerLine;
  const unitsPerTransfer = Math.max(1, Math.ceil(p.bytesPerMessage / prices.queue.billedPayloadBytes));
  const requests = messages * (unitsPerTransfer /* send */ + unitsPerTransfer /* receive */ + 1 /* delete */);
  const queueUsd = (requests / 1e6) * prices.queue.usdPerMillionRequests;
  const vcpuHours = (p.cpuSecondsPerMillionLines * (o.linesPerDay / 1e6)) / 3600;
  const computeUsd = vcpuHours * prices.compute.usdPerVcpuHour;
  const storageGb = (p.bytesPerRow * p.rowsPerLine * o.linesPerDay * o.retentionDays) / 1e9;
  const storageUsd = (storageGb * prices.storage.usdPerGbMonth) / DAYS_PER_MONTH;
  const total = queueUsd + computeUsd + storageUsd;
  return {
    name: p.name,
    queueMessagesPerDay: messages,
    queueRequestsPerDay: requests,
    queueUsdPerDay: queueUsd,
    vcpuHoursPerDay: vcpuHours,
    computeUsdPerDay: computeUsd,
    storageGb,
    storageUsdPerDay: storageUsd,
    totalUsdPerDay: total,
    totalUsdPerMonth: total * DAYS_PER_MONTH,
  };
}

const usd = (v: number) => (v >= 100 ? `$${v.toFixed(0)}` : v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(4)}`);
const num = (v: number) => Math.round(v).toLocaleString('en-US');

/** The side-by-side table `logpipe cost` prints (Markdown, so it can be pasted). */
export function costTable(lines: CostLine[], prices: Prices, o: CostOptions): string {
  const rows: [string, (c: CostLine) => string][] = [
    ['queue messages / day', (c) => num(c.queueMessagesPerDay)],
    ['queue requests / day (send + receive + delete, per 64 KB)', (c) => num(c.queueRequestsPerDay)],
    ['queue $ / day', (c) => usd(c.queueUsdPerDay)],
    ['compute vCPU-hours / day', (c) => c.vcpuHoursPerDay.toFixed(3)],
    ['compute $ / day', (c) => usd(c.computeUsdPerDay)],
    [`storage GB held (${o.retentionDays} days retention)`, (c) => c.storageGb.toFixed(2)],
    ['storage $ / day', (c) => usd(c.storageUsdPerDay)],
    ['**total $ / day**', (c) => `**${usd(c.totalUsdPerDay)}**`],
    ['**total $ / month (30 days)**', (c) => `**${usd(c.totalUsdPerMonth)}**`],
  ];
  const out = [
    `Daily volume: ${num(o.linesPerDay)} lines; retention ${o.retentionDays} days.`,
    '',
    `| | ${lines.map((c) => c.name).join(' | ')} |`,
    `|---|${lines.map(() => '---:').join('|')}|`,
    ...rows.map(([label, f]) => `| ${label} | ${lines.map(f).join(' | ')} |`),
    '',
    `Prices (recorded ${prices.recorded}): ${prices.queue.name} $${prices.queue.usdPerMillionRequests}/M requests (${prices.queue.source}); ` +
      `${prices.compute.name} $${prices.compute.usdPerVcpuHour}/vCPU-h (${prices.compute.source}); ` +
      `${prices.storage.name} $${prices.storage.usdPerGbMonth}/GB-month (${prices.storage.source}).`,
  ];
  return out.join('\n');
}
