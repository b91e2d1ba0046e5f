/**
 * Measuring a contender from outside: its processes' usage reports (CPU, peak RSS, counters; see
 * roles.ts) and the PostgreSQL server's own CPU time.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { procStat, type UsageReport } from '../core/usage.js';

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
