/**
 * Logs on stderr (stdout is for command output): readable lines when stderr is a terminal, one
 * JSON object per line otherwise (or as `logFormat` says). pino-pretty is loaded only when used,
 * so the JSON path, which services take, pays nothing for it at start.
 */
import { createRequire as requireFrom } from 'node:module';
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, name = 'logpipe', format?: 'json' | 'pretty'): Logger {
  const pretty = format ? format === 'pretty' : process.stderr.isTTY === true;
  const options = { name, level, base: { pid: process.pid } };
  if (!pretty) return pino(options, pino.destination(2));
  const prettyStream = requireFrom(import.meta.url)('pino-pretty') as (o: object) => NodeJS.WritableStream;
  return pino(
    // On a terminal, a file name or an error from a log line must not drive the terminal: its
    // control characters are shown as \xNN (JSON logs escape them by JSON's rules).
    { ...options, formatters: { log: (o: Record<string, unknown>) => sanitized(o) as Record<string, unknown> }, hooks: { logMethod(args, method) { method.apply(this, args.map((a) => (typeof a === 'string' ? controlFree(a) : a)) as Parameters<typeof method>); } } },
    prettyStream({ destination: 2, sync: true, singleLine: true, colorize: process.stderr.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) as pino.DestinationStream,
  );
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const controlFree = (s: string) => s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

function sanitized(v: unknown): unknown {
  if (typeof v === 'string') return controlFree(v);
  if (Array.isArray(v)) return v.map(sanitized);
  if (v && typeof v === 'object' && !(v instanceof Error)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sanitized(x)]));
  return v;
}
