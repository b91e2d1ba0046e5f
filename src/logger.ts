/** Structured logs (JSON lines on stderr, so stdout stays for command output). */
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, name = 'logpipe'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}
