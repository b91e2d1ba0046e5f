/**
 * Resource use of this process, written at exit to $LOGPIPE_USAGE_FILE when set: the benchmark
 * runs each role as a child process and reads its CPU time, peak RSS and counters from there.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface UsageReport {
  role: string;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  maxRssBytes: number;
  counters: Record<string, number>;
}

let role = 'unknown';
const counters: Record<string, number> = {};

/** Names the role and records what it counted (messages, bytes, rows) for the usage report. */
export function reportUsage(name: string, values: Record<string, number> = {}): void {
  role = name;
  Object.assign(counters, values);
}

/**
 * This process's peak resident memory, in bytes. On Linux the kernel's high-water mark of this
 * program's own memory (VmHWM): getrusage's ru_maxrss, which process.resourceUsage() reads, also
 * counts the parent's memory at fork (test/unit/usage.test.ts: a child of a process holding
 * 400 MiB), so a child of a large benchmark process looked as large.
 */
export function peakRssBytes(status = '/proc/self/status'): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(status, 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // not Linux: getrusage's figure
  }
  return process.resourceUsage().maxRSS * 1024;
}

export function installUsageReport(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.LOGPIPE_USAGE_FILE;
  if (!file) return;
  process.on('exit', () => {
    const u = process.resourceUsage();
    const report: UsageReport = {
      role,
      cpuUserSeconds: u.userCPUTime / 1e6,
      cpuSystemSeconds: u.systemCPUTime / 1e6,
      maxRssBytes: peakRssBytes(),
      counters,
    };
    writeFileSync(file, JSON.stringify(report) + '\n');
  });
}
