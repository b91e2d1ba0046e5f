/** The usage report's peak memory is the process's own, not its parent's (what the benchmark's RSS figures rest on). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI_BUNDLE } from '../../src/core/paths.js';
import { peakRssBytes } from '../../src/core/usage.js';
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
