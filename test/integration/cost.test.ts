/** The cost model against hand-worked figures, and `logpipe cost` on a bench report. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { costOf, loadPrices, type MeasuredProfile, type Prices } from '../../src/bench/cost.js';
import { runCli } from '../helpers/pipeline.js';

const PRICES: Prices = {
  recorded: '2026-11-26',
  queue: { name: 'SQS', usdPerMillionRequests: 0.4, billedPayloadBytes: 65536, source: 'x' },
  compute: { name: 'vCPU', usdPerVcpuHour: 0.048, source: 'x' },
  storage: { name: 'gp3', usdPerGbMonth: 0.115, source: 'x' },
};
const NAIVE: MeasuredProfile = { name: 'naive', messagesPerLine: 1, bytesPerMessage: 169, cpuSecondsPerMillionLines: 500, rowsPerLine: 1, bytesPerRow: 420 };
const LOGPIPE: MeasuredProfile = { name: 'logpipe', messagesPerLine: 1 / 5000, bytesPerMessage: 133_689, cpuSecondsPerMillionLines: 16, rowsPerLine: 1, bytesPerRow: 194 };
const TEN_MILLION = { linesPerDay: 10_000_000, retentionDays: 30 };

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} ≠ ${b}`);

const dir = mkdtempSync(join(tmpdir(), 'logpipe-cost-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('naive at 10M lines/day: 3 SQS requests per line, CPU and storage by hand', () => {
  const c = costOf(NAIVE, PRICES, TEN_MILLION);
  close(c.queueMessagesPerDay, 10_000_000, 'messages');
  close(c.queueRequestsPerDay, 30_000_000, 'send + receive + delete');
  close(c.queueUsdPerDay, 12, 'queue $');
  close(c.vcpuHoursPerDay, (500 * 10) / 3600, 'vCPU-hours');
  close(c.computeUsdPerDay, ((500 * 10) / 3600) * 0.048, 'compute $');
  close(c.storageGb, 126, '420 B × 10M × 30 days');
  close(c.storageUsdPerDay, (126 * 0.115) / 30, 'storage $ per day');
  close(c.totalUsdPerMonth, (12 + ((500 * 10) / 3600) * 0.048 + (126 * 0.115) / 30) * 30, 'month');
});

test('logpipe at 10M lines/day: a 130 KB chunk is 3 billed 64 KB units to send and to receive, 1 to delete', () => {
  const c = costOf(LOGPIPE, PRICES, TEN_MILLION);
  close(c.queueMessagesPerDay, 2000, 'messages');
  close(c.queueRequestsPerDay, 2000 * (3 + 3 + 1), 'requests');
  close(c.queueUsdPerDay, 0.0056, 'queue $');
  close(c.storageGb, 58.2, 'storage GB');
  close(c.totalUsdPerDay, 0.0056 + ((16 * 10) / 3600) * 0.048 + (58.2 * 0.115) / 30, 'total');
});

test('scales linearly: 1B lines/day is 100× 10M', () => {
  const small = costOf(NAIVE, PRICES, TEN_MILLION);
  const big = costOf(NAIVE, PRICES, { linesPerDay: 1e9, retentionDays: 30 });
  close(big.totalUsdPerDay, small.totalUsdPerDay * 100, 'total');
  close(big.queueUsdPerDay, 1200, 'queue $ at 1B');
});

test('the shipped prices file is valid and dated; a broken one names the field', () => {
  const shipped = loadPrices(fileURLToPath(new URL('../../../config/prices.json', import.meta.url)));
  assert.match(shipped.recorded, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(shipped.queue.usdPerMillionRequests, 0.4);
  const bad = join(dir, 'bad-prices.json');
  writeFileSync(bad, JSON.stringify({ ...PRICES, compute: { name: 'x', usdPerVcpuHour: 'cheap', source: 'x' } }));
  assert.throws(() => loadPrices(bad), /compute\.usdPerVcpuHour: Invalid input: expected number, received string/);
  // The message says which limit was broken (zod/mini says only "Invalid input" without its English locale).
  writeFileSync(bad, JSON.stringify({ ...PRICES, queue: { ...PRICES.queue, usdPerMillionRequests: -1 } }));
  assert.throws(() => loadPrices(bad), /queue\.usdPerMillionRequests: Too small: expected number to be >=0/);
});

test('`logpipe cost` prints naive and logpipe side by side from a bench report', async () => {
  const summary = (id: string, lines: number, messages: number, bytes: number, cpu: number, bytesPerRow: number) => ({
    id, label: id, lines, rows: lines, wallSeconds: 1, rowsPerSecond: lines, ratioToNaive: 1, ratioToFloor: 1,
    processes: [{ role: 'p', cpuSecondsPerMillionLines: cpu, maxRssBytes: 1 }], postgresCpuSecondsPerMillionLines: 0,
    queueMessages: messages, queueBytes: bytes, bytesPerRow,
  });
  const report = join(dir, 'latest.json');
  writeFileSync(report, JSON.stringify({
    startedAt: '2026-11-26T00:00:00Z',
    summary: [summary('naive', 50_000, 50_000, 50_000 * 169, 500, 420), summary('logpipe-redis', 250_000, 50, 50 * 133_689, 16, 194)],
  }));
  const out = await runCli(['cost', '--lines-per-day', '10M', '--from', report], {});
  assert.equal(out.code, 0, out.output);
  assert.match(out.output, /\| queue requests \/ day[^\n]*\| 30,000,000 \| 14,000 \|/);
  assert.match(out.output, /\| queue \$ \/ day \| \$12\.00 \| \$0\.0056 \|/);
  const missing = await runCli(['cost', '--from', join(dir, 'none.json')], {});
  assert.equal(missing.code, 2);
  assert.match(missing.output, /run `logpipe bench` first/);
  const badVolume = await runCli(['cost', '--lines-per-day', 'lots', '--from', report], {});
  assert.equal(badVolume.code, 2);
  assert.match(badVolume.output, /--lines-per-day must be a number like 10M/);
});
