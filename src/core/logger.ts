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
    options,
    prettyStream({ destination: 2, sync: true, singleLine: true, colorize: process.stderr.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) as pino.DestinationStream,
  );
}
