/**
 * Resolves the configuration in one place: flags > environment > config file > defaults.
 * The environment is passed in (never read from a global inside) so tests need not mutate
 * process.env. Invalid values stop the process before anything starts, naming the setting.
 */
import { readFileSync } from 'node:fs';
import { ConfigSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Tree = { [key: string]: unknown };

function setPath(target: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Tree;
  node[keys[keys.length - 1]] = value;
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? merge(b as Tree, v as Tree) : v;
  }
  return out;
}

/** Environment variables that map straight onto a setting. */
const ENV_SETTINGS: Record<string, string> = {
  DATABASE_URL: 'databaseUrl',
  REDIS_URL: 'redisUrl',
  LOG_DIR: 'logDir',
  LOGPIPE_QUEUE_PREFIX: 'queue.prefix',
  LOGPIPE_QUEUE_MAX_LENGTH: 'queue.maxLength',
  LOGPIPE_CLAIM_IDLE_MS: 'queue.claimIdleMs',
  LOGPIPE_CHUNK_MAX_LINES: 'chunk.maxLines',
  LOGPIPE_CHUNK_MAX_BYTES: 'chunk.maxBytes',
  LOGPIPE_MAX_LINE_BYTES: 'chunk.maxLineBytes',
  LOGPIPE_BATCH_CHUNKS: 'processor.batchChunks',
  LOGPIPE_PROCESSOR_CONCURRENCY: 'processor.concurrency',
  LOGPIPE_PARSE_THREADS: 'processor.parseThreads',
  LOGPIPE_LOG_LEVEL: 'logLevel',
  LOGPIPE_TIMEZONE: 'input.timezone',
  LOGPIPE_INPUT_YEAR: 'input.year',
  LOGPIPE_SETTLE_MS: 'input.settleMs',
};

/** Environment variables holding a comma-separated list. */
const ENV_LISTS: Record<string, string> = {
  LOGPIPE_INPUTS: 'inputs',
  LOGPIPE_INCLUDE: 'input.include',
  LOGPIPE_EXCLUDE: 'input.exclude',
};

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** The seed's variables: any PG_* selects a PostgreSQL server, any REDIS_HOST/PORT a Redis. */
function fromSeedVariables(env: NodeJS.ProcessEnv): Tree {
  const out: Tree = {};
  if (!env.DATABASE_URL && ['PG_HOST', 'PG_PORT', 'PG_DB', 'PG_USER', 'PG_PASSWORD'].some((k) => env[k])) {
    const auth = enc(env.PG_USER ?? 'postgres') + (env.PG_PASSWORD ? ':' + enc(env.PG_PASSWORD) : '');
    out.databaseUrl = `postgres://${auth}@${env.PG_HOST ?? 'localhost'}:${env.PG_PORT ?? '5432'}/${enc(env.PG_DB ?? 'postgres')}`;
  }
  if (!env.REDIS_URL && (env.REDIS_HOST || env.REDIS_PORT)) {
    out.redisUrl = `redis://${env.REDIS_HOST ?? 'localhost'}:${env.REDIS_PORT ?? '6379'}`;
  }
  return out;
}

export function fromEnv(env: NodeJS.ProcessEnv): Tree {
  const out = fromSeedVariables(env);
  for (const [name, path] of Object.entries(ENV_SETTINGS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(out, path, value);
  }
  for (const [name, path] of Object.entries(ENV_LISTS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(out, path, value.split(',').map((v) => v.trim()).filter(Boolean));
  }
  return out;
}

export interface LoadOptions {
  /** Settings from command-line flags, as dotted paths (`chunk.maxLines`) or nested objects. */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** JSON config file; LOGPIPE_CONFIG in the environment names one too. */
  file?: string;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? {};
  const file = opts.file ?? env.LOGPIPE_CONFIG;
  let fromFile: Tree = {};
  if (file) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Tree;
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    if (!fromFile || typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  const flags: Tree = {};
  for (const [path, value] of Object.entries(opts.flags ?? {})) if (value !== undefined) setPath(flags, path, value);
  const raw = merge(merge(fromFile, fromEnv(env)), flags);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const where = i.path.join('.') || '(top level)';
      const keys = 'keys' in i && Array.isArray(i.keys) ? ` ${i.keys.join(', ')}` : '';
      const given = i.path.reduce<unknown>((node, k) => (node && typeof node === 'object' ? (node as Tree)[String(k)] : undefined), raw);
      const got = given === undefined || typeof given === 'object' ? '' : ` (got ${JSON.stringify(given)})`;
      return `  ${where}: ${i.message}${keys}${got}`;
    });
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

/** A URL fit for logs: the password replaced. */
export function redactUrl(url: string | undefined): string {
  if (!url) return '(none)';
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
