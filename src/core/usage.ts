/**
 * Resource use of this process, written at exit to $LOGPIPE_USAGE_FILE when set: the benchmark
 * runs each role as a child process and reads its CPU time, peak RSS and counters from there.
 */
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';

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

/**
 * Clock ticks per second in /proc's CPU times: USER_HZ, which is 100 on every architecture Linux
 * runs Node on (sysconf(_SC_CLK_TCK) returns it).
 */
const USER_HZ = 100;

/**
 * A process's or thread's CPU seconds from its /proc stat file (`/proc/PID/stat`,
 * `/proc/self/task/TID/stat`): its own (user + system, all its threads for a process), its reaped
 * children's, its minor page faults, its command name (at most 15 characters) and its parent's
 * id. Null when the file cannot be read (gone, or not Linux).
 */
export function procStat(path: string): { comm: string; ppid: number; cpuSeconds: number; childrenSeconds: number; minorFaults: number } | null {
  try {
    const s = readFileSync(path, 'utf8');
    const end = s.lastIndexOf(')'); // the command name may itself hold ')' and spaces
    const f = s.slice(end + 2).split(' '); // the fields after the command name; see proc(5)
    return {
      comm: s.slice(s.indexOf('(') + 1, end), ppid: Number(f[1]), minorFaults: Number(f[7]),
      cpuSeconds: (Number(f[11]) + Number(f[12])) / USER_HZ, childrenSeconds: (Number(f[13]) + Number(f[14])) / USER_HZ,
    };
  } catch {
    return null;
  }
}

/** The calling thread's id (Linux), to read its CPU time from another thread; null elsewhere. */
export function currentThreadId(): number | null {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || null;
  } catch {
    return null;
  }
}

/** CPU seconds of thread `tid` of this process, or null once it has exited or where /proc does not tell. */
export function threadCpuSeconds(tid: number): number | null {
  return procStat(`/proc/self/task/${tid}/stat`)?.cpuSeconds ?? null;
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
