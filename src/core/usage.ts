/**
 * Resource use of this process, written at exit to $LOGPIPE_USAGE_FILE when set: the benchmark
 * runs each role as a child process and reads its CPU time, peak RSS and counters from there.
 */
import { writeFileSync } from 'node:fs';

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

export function installUsageReport(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.LOGPIPE_USAGE_FILE;
  if (!file) return;
  process.on('exit', () => {
    const u = process.resourceUsage();
    const report: UsageReport = {
      role,
      cpuUserSeconds: u.userCPUTime / 1e6,
      cpuSystemSeconds: u.systemCPUTime / 1e6,
      maxRssBytes: u.maxRSS * 1024,
      counters,
    };
    writeFileSync(file, JSON.stringify(report) + '\n');
  });
}
