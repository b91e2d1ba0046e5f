/**
 * /metrics (Prometheus text), /healthz (the process is alive) and /readyz (200 when PostgreSQL
 * and the queue answer, 503 with the reason otherwise) on node:http. A readiness check answers
 * within its own timeout, so a hung dependency makes the probe fail, not hang.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorText, ServiceError } from '../core/errors.js';
import type { PrometheusMetrics } from './prometheus.js';

/** A named dependency check: resolves when it answers. */
export type ReadinessCheck = [name: string, check: () => Promise<unknown>];

const CHECK_TIMEOUT_MS = 2_000;

async function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function serveMetrics(opts: {
  metrics: PrometheusMetrics;
  host: string;
  /** 0: any free port. */
  port: number;
  checks: ReadinessCheck[];
}): Promise<MetricsServer> {
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/metrics') {
        const body = await opts.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(body);
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        const results = await Promise.all(opts.checks.map(async ([name, check]) => {
          try {
            await within(check(), CHECK_TIMEOUT_MS);
            return [name, null] as const;
          } catch (err) {
            return [name, errorText(err).split('\n')[0]] as const;
          }
        }));
        const ready = results.every(([, failure]) => failure === null);
        const lines = results.map(([name, failure]) => `${name}: ${failure ?? 'ok'}`).join('\n');
        res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(`${ready ? 'ready' : 'not ready'}\n${lines}\n`);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('/metrics, /healthz or /readyz\n');
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${errorText(err)}\n`);
    }
  });
  server.unref(); // the role's own work decides when the process ends
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The port a role's metrics are served on (metrics.port, else the role's default), or null: none. */
export function metricsPort(port: number | undefined, defaultPort: number | null): number | null {
  const p = port ?? defaultPort;
  return p === null || p === 0 ? null : p;
}

/**
 * Serves a role's metrics on `port` (from metricsPort): one set explicitly must be free (else a
 * clear error); a role's default one, if a sibling holds it, gives way to any free port.
 */
export async function startMetrics(opts: {
  metrics: PrometheusMetrics;
  host: string;
  port: number;
  /** The port is the role's default, not metrics.port. */
  isDefault: boolean;
  checks: ReadinessCheck[];
}): Promise<MetricsServer> {
  try {
    return await serveMetrics(opts);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' && opts.isDefault) return serveMetrics({ ...opts, port: 0 });
    throw new ServiceError(`cannot serve metrics on ${opts.host}:${opts.port} (metrics.port, LOGPIPE_METRICS_PORT or --metrics-port): ${code === 'EADDRINUSE' ? 'the port is in use' : errorText(err)}`);
  }
}
