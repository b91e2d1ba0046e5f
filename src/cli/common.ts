/** What every command shares: global flags → configuration, and errors as messages with an exit code. */
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { errorText, EXIT, ServiceError } from '../core/errors.js';

export function addConfigFlags(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON or YAML config file (also LOGPIPE_CONFIG)')
    .option('--database-url <url>', 'PostgreSQL URL (also DATABASE_URL or PG_*); unset: embedded PostgreSQL')
    .option('--queue-url <url>', 'queue URL: redis:// or rediss:// (Redis Streams), nats:// or tls:// (NATS JetStream) (also REDIS_URL, NATS_URL, LOGPIPE_QUEUE_URL)')
    .option('--queue-kind <kind>', 'queue backend when the URL does not say: memory, redis or nats (also LOGPIPE_QUEUE_KIND)')
    .option('--log-dir <dir>', 'directory read for log files (also LOG_DIR)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (also LOGPIPE_LOG_LEVEL)')
    .option('--log-format <format>', 'json|pretty (default: pretty on a terminal, JSON otherwise)');
}

/** The metrics flag of the long-running roles. */
export function addMetricsFlag(cmd: Command): Command {
  return cmd.option('--metrics-port <port>', '/metrics, /healthz and /readyz on this port; 0: off (also LOGPIPE_METRICS_PORT)', intArg('metrics-port', 0, 65535));
}

export interface GlobalFlags {
  config?: string;
  databaseUrl?: string;
  queueUrl?: string;
  queueKind?: string;
  logDir?: string;
  logLevel?: string;
  logFormat?: string;
  metricsPort?: number;
}

/** With --log-level debug (or trace), errors keep their stack. */
let showStacks = false;

export function configFrom(flags: GlobalFlags, extra: Record<string, unknown> = {}): Config {
  const config = loadConfig({
    file: flags.config,
    env: process.env,
    flags: {
      databaseUrl: flags.databaseUrl, 'queue.url': flags.queueUrl, 'queue.kind': flags.queueKind, logDir: flags.logDir, logLevel: flags.logLevel, logFormat: flags.logFormat,
      'metrics.port': flags.metricsPort, ...extra,
    },
  });
  showStacks = config.logLevel === 'debug' || config.logLevel === 'trace';
  return config;
}

/** Writes the user's message for `err` (a stack only at debug) and returns the exit code it means. */
export function reportError(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`logpipe: ${err.message}\n`);
    return EXIT.CONFIG;
  }
  const stack = showStacks || process.env.LOGPIPE_LOG_LEVEL === 'debug' || process.env.LOGPIPE_LOG_LEVEL === 'trace';
  process.stderr.write(`logpipe: ${errorText(err)}\n`);
  if (stack && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  else if (!(err instanceof ServiceError)) process.stderr.write('logpipe: (run with --log-level debug for the stack trace)\n');
  return EXIT.RUNTIME;
}

/** Runs a command body; errors print as messages and exit 2 (configuration) or 1 (runtime). */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.exit(reportError(err));
    }
  };
}

/** A whole-number flag from `min` to `max`; anything else is a usage error naming the flag (exit 2). */
export function intArg(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    const n = /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`It must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** "1 row", "2 rows". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
