/** Metrics are prom-client's only where they are served; elsewhere counting costs nothing and loads nothing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roleMetrics, type Services } from '../../src/cli/services.js';
import type { Config } from '../../src/config/schema.js';
import { NoMetrics, type ParseThreadUsage } from '../../src/metrics/metrics.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus.js';

const config = (port: number | undefined) => ({ metrics: { host: '127.0.0.1', port } }) as unknown as Config;
// Never touched when nothing is served: the gauges read them only when scraped.
const services = {} as Services;

test('a reader or run without metrics.port, or any role with port 0, serves nothing and counts into no-ops', async () => {
  for (const [role, port] of [['reader', undefined], ['run', undefined], ['processor', 0], ['reader', 0]] as const) {
    const { metrics, server } = await roleMetrics(config(port), services, role);
    assert.equal(server, null, `${role} port ${port}`);
    assert.ok(metrics instanceof NoMetrics, `${role} port ${port}`);
    metrics.retries.inc({ target: 'queue' });
    metrics.linesRead.inc(5_000);
    metrics.batchRows.observe(40_000);
  }
});

test('the served metrics count what they are given', async () => {
  const m = new PrometheusMetrics();
  m.linesRead.inc(5_000);
  m.retries.inc({ target: 'postgres' });
  const text = await m.registry.metrics();
  assert.match(text, /^logpipe_lines_read_total 5000$/m);
  assert.match(text, /^logpipe_retries_total\{target="postgres"\} 1$/m);
});

test("the parse threads' busy and CPU seconds are served as counters read when scraped", async () => {
  const m = new PrometheusMetrics();
  let usage: ParseThreadUsage = { busySeconds: 0, cpuSeconds: null };
  m.observeParseThreads(() => usage);
  const served = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await m.registry.metrics())?.[1]);
  assert.equal(await served('logpipe_parse_busy_seconds_total'), 0);
  usage = { busySeconds: 1.5, cpuSeconds: 0.75 };
  assert.equal(await served('logpipe_parse_busy_seconds_total'), 1.5);
  assert.equal(await served('logpipe_parse_cpu_seconds_total'), 0.75);
  usage = { busySeconds: 2.25, cpuSeconds: null }; // CPU time not readable now: the counter keeps its value
  assert.equal(await served('logpipe_parse_busy_seconds_total'), 2.25);
  assert.equal(await served('logpipe_parse_cpu_seconds_total'), 0.75);
});
