/** What every command shares: global flags → configuration, and a clean error exit. */
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';

export function addConfigFlags(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON config file (also LOGPIPE_CONFIG)')
    .option('--database-url <url>', 'PostgreSQL URL (also DATABASE_URL or PG_*); unset: embedded PostgreSQL')
    .option('--redis-url <url>', 'Redis URL (also REDIS_URL or REDIS_HOST/REDIS_PORT)')
    .option('--log-dir <dir>', 'directory of *.log / *.log.gz files (also LOG_DIR)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent');
}

export interface GlobalFlags {
  config?: string;
  databaseUrl?: string;
  redisUrl?: string;
  logDir?: string;
  logLevel?: string;
}

export function configFrom(flags: GlobalFlags, extra: Record<string, unknown> = {}): Config {
  return loadConfig({
    file: flags.config,
    env: process.env,
    flags: { databaseUrl: flags.databaseUrl, redisUrl: flags.redisUrl, logDir: flags.logDir, logLevel: flags.logLevel, ...extra },
  });
}

/** Runs a command body; configuration errors print without a stack and exit 2. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`logpipe: ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`logpipe: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    }
  };
}

export function intArg(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`--${name} must be an integer from ${min} to ${max}, got "${v}"`);
    return n;
  };
}
