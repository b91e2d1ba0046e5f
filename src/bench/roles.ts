/**
 * A contender's processes: each logpipe role started with the benchmark's environment and a
 * usage file (it reports CPU, peak RSS and counters there at exit), waited for, stopped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, type CliProcess } from '../core/spawn.js';
import type { UsageReport } from '../core/usage.js';
import { wait } from '../core/wait.js';

export interface Role extends CliProcess {
  name: string;
  usageFile: string;
}

/** Starts `logpipe <args>` with exactly `env`; its output goes to <workDir>/<name>.log. */
export function spawnRole(name: string, args: string[], env: Record<string, string>, workDir: string): Role {
  const usageFile = join(workDir, `${name}.usage.json`);
  const p = spawnCli(args, { env: { ...env, LOGPIPE_USAGE_FILE: usageFile }, logFile: join(workDir, `${name}.log`) });
  return { ...p, name, usageFile };
}

/** Runs a role to its end; anything but exit code 0 is an error naming its log. */
export async function runRole(name: string, args: string[], env: Record<string, string>, workDir: string): Promise<void> {
  const code = await spawnRole(name, args, env, workDir).exited;
  if (code !== 0) throw new Error(`${name} exited with ${code} (see ${join(workDir, `${name}.log`)})`);
}

export function readUsage(role: Role): UsageReport {
  if (!existsSync(role.usageFile)) throw new Error(`${role.name} wrote no usage report (crashed?); see ${role.usageFile.replace(/\.usage\.json$/, '.log')}`);
  return JSON.parse(readFileSync(role.usageFile, 'utf8')) as UsageReport;
}

/** Waits until a service role is ready (`check`), failing early if it exits. */
export async function untilReady(what: string, role: Role, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 30_000;
  while (!(await check())) {
    if (role.child.exitCode !== null) throw new Error(`${what} exited with code ${role.child.exitCode} before it was ready (see its log)`);
    if (Date.now() > end) throw new Error(`${what} not ready after 30 s`);
    await wait(10);
  }
}

/** A check for the progress loop: which role, if any, has exited badly. */
export function exitedBadly(roles: Role[]): () => string | null {
  const codes = new Map<string, number | null>();
  for (const r of roles) r.child.on('exit', (code, signal) => codes.set(r.name, signal ? -1 : code));
  return () => {
    for (const [name, code] of codes) if (code !== 0) return `${name} exited with ${code === -1 ? 'a signal' : `code ${code}`} (see its log)`;
    return null;
  };
}

/**
 * Ends a contender: `finishing` roles (reader, run) exit by themselves once everything is
 * committed and are waited for (a SIGTERM could land while they are already exiting, and kill
 * them); `services` (processors) are sent SIGTERM. Every one must exit with code 0.
 */
export async function stopRoles(finishing: Role[], services: Role[] = []): Promise<void> {
  for (const r of services) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  const late = setTimeout(() => finishing.forEach((r) => r.child.kill('SIGTERM')), 30_000);
  const roles = [...finishing, ...services];
  const codes = await Promise.all(roles.map((r) => r.exited));
  clearTimeout(late);
  codes.forEach((c, i) => {
    if (c !== 0) throw new Error(`${roles[i].name} exited with ${c === null ? 'a signal' : `code ${c}`}`);
  });
}
