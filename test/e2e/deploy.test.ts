/**
 * The deploy files are checked as far as this machine can: the compose file by docker-compose
 * itself (no Docker engine runs here), the systemd units by systemd-analyze, the Grafana
 * dashboard against the metrics logpipe really exports, and the Dockerfile against the README.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { PrometheusMetrics } from '../../src/metrics/prometheus.js';
import { loadConfig } from '../../src/config/load.js';
import { packagePath } from '../../src/core/paths.js';
import { chosenBackend } from '../../src/queue/registry.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

test('docker-compose.yml: valid for docker-compose, with a scalable processor and Prometheus scraping every role', { skip: !has('docker-compose') && !process.env.CI && 'docker-compose not installed (.ci/run installs it)' }, () => {
  const out = execFileSync('docker-compose', ['-f', packagePath('docker-compose.yml'), 'config'], { cwd: packagePath(), encoding: 'utf8' });
  const compose = parseYaml(out) as { services: Record<string, { image?: string; command?: string[]; ports?: unknown[]; container_name?: string; volumes?: unknown[]; depends_on?: Record<string, { condition: string }> }> };
  const s = compose.services;
  assert.deepEqual(Object.keys(s).sort(), ['init-db', 'postgres', 'processor', 'prometheus', 'reader', 'redis']);
  assert.equal(s.postgres.image, 'postgres:15');
  assert.equal(s.redis.image, 'redis:7');
  assert.deepEqual(s['init-db'].command, ['init-db']);
  assert.equal(s.reader.depends_on?.['init-db'].condition, 'service_completed_successfully');
  assert.ok(JSON.stringify(s.reader.volumes).includes('/logs'), 'the log directory is mounted into the reader');
  assert.equal(s.processor.container_name, undefined, 'no fixed name: --scale processor=N works');
  assert.equal(s.processor.ports, undefined, 'no fixed host port: --scale processor=N works');
  const prometheus = parseYaml(readFileSync(packagePath('deploy', 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string }[] };
  assert.deepEqual(prometheus.scrape_configs.map((c) => c.job_name), ['logpipe-processor', 'logpipe-reader']);
  // With the NATS override, the roles queue on JetStream (file-backed), and the choice is explicit.
  const nats = parseYaml(execFileSync('docker-compose', ['-f', packagePath('docker-compose.yml'), '-f', packagePath('deploy', 'docker-compose.nats.yml'), 'config'], { cwd: packagePath(), encoding: 'utf8' })) as {
    services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }>;
  };
  assert.equal(nats.services.nats.image, 'nats:2.10');
  assert.ok(nats.services.nats.command?.includes('-js'), 'JetStream enabled');
  for (const role of ['reader', 'processor']) {
    const env = nats.services[role].environment!;
    const config = loadConfig({ env });
    assert.equal(config.queue.url, 'nats://nats:4222', role);
    assert.equal(chosenBackend(config.queue).name, 'nats', role);
  }
});

test('systemd units verify', { skip: !has('systemd-analyze') && 'systemd-analyze not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'logpipe-units-'));
  try {
    const units: string[] = [];
    for (const f of readdirSync(packagePath('deploy', 'systemd')).filter((f) => /\.(service|timer)$/.test(f))) {
      const name = f.replace('@.service', '@1.service'); // a template is verified as an instance
      copyFileSync(packagePath('deploy', 'systemd', f), join(dir, name));
      units.push(join(dir, name));
    }
    assert.ok(units.length >= 4);
    const r = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Grafana dashboard uses only metrics logpipe exports', async () => {
  const names = new Set((await new PrometheusMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
  const dashboard = JSON.parse(readFileSync(packagePath('deploy', 'grafana', 'logpipe-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  assert.ok(dashboard.panels.length >= 8);
  for (const p of dashboard.panels) {
    for (const t of p.targets) {
      for (const m of t.expr.match(/logpipe_[a-z_]+/g) ?? []) {
        const base = m.replace(/_(bucket|sum|count)$/, '');
        assert.ok(names.has(m) || names.has(base), `${p.title}: ${m} is not a logpipe metric`);
      }
    }
  }
});

test('the Dockerfile builds with the README\'s commands and runs as a non-root user', () => {
  const docker = readFileSync(packagePath('Dockerfile'), 'utf8');
  const readme = readFileSync(packagePath('README.md'), 'utf8');
  const runs = [...docker.matchAll(/^RUN (.+)$/gm)].map((m) => m[1]);
  assert.ok(runs.some((r) => r.startsWith('npm ci')), 'npm ci');
  assert.ok(runs.some((r) => r.includes('npm run build')), 'npm run build');
  assert.match(readme, /npm ci && npm start/);
  assert.match(readme, /`npm run build`/);
  assert.match(docker, /^FROM node:20-slim AS build$/m);
  assert.match(docker, /^USER node$/m);
  assert.match(docker, /^ENTRYPOINT \["node", "\/app\/dist\/logpipe\.mjs"\]$/m);
});
