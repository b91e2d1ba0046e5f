/**
 * logpipe as a child process, as users run it (the bundle `npm run build` writes), with exactly
 * the environment given: nothing inherited but PATH and HOME, so a developer's own DATABASE_URL
 * or REDIS_URL never leaks into a benchmark or a test. The benchmark and the tests both start
 * their roles through here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { CLI_BUNDLE } from './paths.js';

export interface CliProcess {
  child: ChildProcess;
  /** The exit code; null when a signal ended it. */
  exited: Promise<number | null>;
  /** Everything it wrote on stdout and stderr so far. */
  output(): string;
}

export interface SpawnOptions {
  env: Record<string, string>;
  /** Also write its output to this file (the benchmark keeps each role's log). */
  logFile?: string;
  /** Run as another user (uid and gid), e.g. nobody, to meet permissions root ignores. */
  as?: { uid: number; gid: number };
}

export function spawnCli(args: string[], o: SpawnOptions): CliProcess {
  const child = spawn(process.execPath, [CLI_BUNDLE(), ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', LOGPIPE_LOG_LEVEL: 'warn', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...o.as,
  });
  let out = '';
  const file = o.logFile ? createWriteStream(o.logFile) : null;
  const take = (d: Buffer) => {
    out += d;
    file?.write(d);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code, signal) => {
      file?.end();
      resolve(signal ? null : code);
    }),
  );
  return { child, exited, output: () => out };
}
