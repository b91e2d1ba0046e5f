/**
 * The usage report's peak memory is the process's own, not its parent's, and a service's CPU is
 * what it spent on the clock (what the benchmark's RSS and CPU figures rest on).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI_BUNDLE } from '../../src/core/paths.js';
import { servicesCpuSince } from '../../src/bench/measure.js';
import { currentThreadId, peakRssBytes, procStat, threadCpuSeconds } from '../../src/core/usage.js';
import type { UsageReport } from '../../src/core/usage.js';

const MiB = 1024 * 1024;

test('peakRssBytes reads the high-water mark from a status file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logpipe-usage-'));
  try {
    const status = join(dir, 'status');
    writeFileSync(status, 'Name:\tnode\nVmPeak:\t 1000000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40000 kB\n');
    assert.equal(peakRssBytes(status), 51234 * 1024);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a child's reported peak RSS leaves out the memory its parent held when it was spawned", { skip: process.platform !== 'linux' && 'VmHWM is Linux only' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'logpipe-usage-'));
  // Held (and touched, so resident) while the child is forked, as a benchmark holding a data set.
  const held = Buffer.alloc(400 * MiB, 1);
  try {
    const file = join(dir, 'usage.json');
    execFileSync(process.execPath, [CLI_BUNDLE(), '--version'], { env: { PATH: process.env.PATH, LOGPIPE_USAGE_FILE: file } });
    const usage = JSON.parse(readFileSync(file, 'utf8')) as UsageReport;
    assert.ok(usage.maxRssBytes > 10 * MiB, `a Node process takes some memory (${usage.maxRssBytes})`);
    assert.ok(usage.maxRssBytes < 300 * MiB, `peak ${(usage.maxRssBytes / MiB).toFixed(0)} MiB: the parent's ${held.length / MiB} MiB were counted`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a process's and a thread's CPU seconds from /proc", { skip: process.platform !== 'linux' && '/proc is Linux only' }, () => {
  const t = process.cpuUsage();
  while (process.cpuUsage(t).user < 200_000); // 200 ms of this thread's CPU
  const self = procStat('/proc/self/stat');
  assert.ok(self, 'this process is readable');
  assert.equal(self.ppid, process.ppid);
  assert.equal(self.comm, readFileSync('/proc/self/comm', 'utf8').trim(), 'its command name, as /proc/PID/comm has it');
  assert.ok(self.cpuSeconds >= 0.2, `${self.cpuSeconds} s: at least the 200 ms just spent`);
  const tid = currentThreadId();
  assert.equal(tid, process.pid, "the main thread's id is the process's");
  const thread = threadCpuSeconds(tid!);
  assert.ok(thread !== null && thread >= 0.15 && thread <= self.cpuSeconds + 0.02, `thread ${thread} s of the process's ${self.cpuSeconds}`);
  assert.equal(procStat('/proc/self/task/999999999/stat'), null, 'no such thread: null, not a throw');
});

test("a service's CPU is counted over the clock's window only, not its start", { skip: process.platform !== 'linux' && '/proc is Linux only' }, async () => {
  // Spends `ms` of its own CPU time when told (a line on stdin), then says so.
  const burn = 'const spend = (ms) => { const t = process.cpuUsage(); while ((process.cpuUsage(t).user + process.cpuUsage(t).system) / 1000 < ms); };' +
    'spend(Number(process.argv[1])); process.stdout.write("started\\n");' +
    'process.stdin.once("data", () => { spend(Number(process.argv[2])); process.stdout.write("done\\n"); process.stdin.once("data", () => process.exit(0)); });';
  const child = spawn(process.execPath, ['-e', burn, '600', '150'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const said = (word: string) => new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes(word) && resolve()));
  try {
    await said('started'); // its "start": 600 ms of CPU before the clock
    const used = servicesCpuSince([child.pid]);
    const done = said('done');
    child.stdin!.write('go\n');
    await done;
    const [window] = used();
    assert.ok(window !== null, 'measured through /proc');
    assert.ok(window >= 0.1 && window < 0.45, `window ${window} s: the 150 ms spent on the clock, not the 600 ms before it`);
    assert.deepEqual(servicesCpuSince([undefined])(), [null], 'no process: no figure (the report falls back to the usage file)');
  } finally {
    child.stdin!.write('exit\n');
    child.kill();
  }
});
