/**
 * Measuring a contender from outside: its processes' usage reports (CPU, peak RSS, counters; see
 * roles.ts) and the PostgreSQL server's own CPU time.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { procStat, type UsageReport } from '../core/usage.js';
import type { ChunkQueue } from '../queue/types.js';

const pidStat = (pid: number) => procStat(`/proc/${pid}/stat`);

/**
 * A probe of the local PostgreSQL server's total CPU seconds: the postmaster's own, its live
 * children's, and its reaped children's (backends that already exited). Null when the server is
 * not on this machine.
 */
export async function postgresCpuProbe(client: pg.ClientBase): Promise<(() => number) | null> {
  try {
    const dir = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0].data_directory;
    const pidFile = join(dir, 'postmaster.pid');
    if (!existsSync(pidFile)) return null;
    const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!pidStat(postmaster)) return null;
    return () => {
      const pm = pidStat(postmaster);
      if (!pm) return NaN;
      let total = pm.cpuSeconds + pm.childrenSeconds;
      for (const e of readdirSync('/proc')) {
        const pid = Number(e);
        if (!pid || pid === postmaster) continue;
        const st = pidStat(pid);
        if (st && st.ppid === postmaster) total += st.cpuSeconds;
      }
      return total;
    };
  } catch {
    return null;
  }
}

/** Starts measuring the server's CPU with `probe`; the result gives the seconds since, or null. */
export function cpuSince(probe: (() => number) | null): () => number | null {
  const start = probe?.() ?? NaN;
  return () => {
    const d = (probe?.() ?? NaN) - start;
    return Number.isFinite(d) ? d : null;
  };
}

/** The queue server's CPU seconds so far (see queueServerCpuProbe), and what it is called in the report. */
export interface QueueServerProbe {
  name: string;
  read(): Promise<number | null>;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * A probe of the queue server's own CPU: the server's figure where it gives one to its clients
 * (Redis), else a NATS server on this machine read from /proc (the only nats-server process
 * here); null where neither applies (the in-process queue has no server). The load a benchmark's
 * own polling of the queue adds is in it (a few requests a second).
 */
export function queueServerCpuProbe(queue: ChunkQueue, url: string | undefined): QueueServerProbe | null {
  const own = queue.serverCpuSeconds?.bind(queue);
  if (own) return { name: `${queue.backend}-server`, read: own };
  if (queue.backend !== 'nats' || !url || !URL.canParse(url) || !LOOPBACK.has(new URL(url).hostname)) return null;
  const pids = readdirSync('/proc').map(Number).filter((pid) => pid && pidStat(pid)?.comm === 'nats-server');
  if (pids.length !== 1) return null;
  return { name: 'nats-server', read: async () => processCpuSeconds(pids[0]) };
}

/** The queue server's CPU over a run: its name in the report and its seconds. */
export interface QueueServerCpu {
  name: string;
  cpuSeconds: number;
}

/** Starts measuring the queue server's CPU; the result gives its name and the seconds since, or null. */
export async function queueServerCpuSince(probe: QueueServerProbe | null): Promise<() => Promise<QueueServerCpu | null>> {
  const start = (await probe?.read()) ?? null;
  return async () => {
    const now = (await probe?.read()) ?? null;
    return probe && start !== null && now !== null ? { name: probe.name, cpuSeconds: now - start } : null;
  };
}

/** A live process's CPU seconds so far (all its threads), or null where /proc does not tell. */
function processCpuSeconds(pid: number | undefined): number | null {
  return pid ? pidStat(pid)?.cpuSeconds ?? null : null;
}

/**
 * Starts measuring service processes (started and ready before the clock) over the clock's
 * window, as the server's CPU is: what they spent starting and after the last row is not the
 * load's. The result gives each one's seconds since, or null where /proc cannot tell (the report
 * then falls back to its whole life, from its usage file).
 */
export function servicesCpuSince(pids: (number | undefined)[]): () => (number | null)[] {
  const start = pids.map(processCpuSeconds);
  return () => pids.map((pid, i) => {
    const now = processCpuSeconds(pid);
    return now !== null && start[i] !== null ? now - start[i]! : null;
  });
}

/** A process's line of the report: its CPU over the clock's window where measured, else its whole life from its usage file. */
export function processUsage(u: UsageReport, role = u.role, windowCpuSeconds: number | null = null): { role: string; cpuSeconds: number; maxRssBytes: number } {
  return { role, cpuSeconds: windowCpuSeconds ?? u.cpuUserSeconds + u.cpuSystemSeconds, maxRssBytes: u.maxRssBytes };
}

export const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
