/**
 * Resolves the configuration in one place: flags > environment > config file > defaults.
 * The environment is passed in (never read from a global inside) so tests need not mutate
 * process.env. Invalid values stop the process before anything starts, naming the setting and
 * where it came from. Config files (JSON or YAML) are typed strictly; environment strings are
 * converted to the setting's type first, since the environment has nothing but strings.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { redactUrl } from '../core/redact.js';
import { backendForUrl, QUEUE_BACKENDS } from '../queue/registry.js';
import { ConfigSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Tree = { [key: string]: unknown };
type Kind = 'string' | 'int' | 'bool' | 'list' | 'intList';

function setPath(target: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Tree;
  node[keys[keys.length - 1]] = value;
}

function getPath(tree: Tree, path: (string | number | symbol)[]): unknown {
  return path.reduce<unknown>((node, k) => (node && typeof node === 'object' ? (node as Tree)[String(k)] : undefined), tree);
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? merge(b as Tree, v as Tree) : v;
  }
  return out;
}

/** Environment variables that map onto a setting, with the setting's type. */
const ENV_SETTINGS: Record<string, [path: string, kind: Kind]> = {
  DATABASE_URL: ['databaseUrl', 'string'],
  LOG_DIR: ['logDir', 'string'],
  LOGPIPE_INPUTS: ['inputs', 'list'],
  LOGPIPE_INCLUDE: ['input.include', 'list'],
  LOGPIPE_EXCLUDE: ['input.exclude', 'list'],
  LOGPIPE_TIMEZONE: ['input.timezone', 'string'],
  LOGPIPE_INPUT_YEAR: ['input.year', 'int'],
  LOGPIPE_SETTLE_MS: ['input.settleMs', 'int'],
  LOGPIPE_QUEUE_KIND: ['queue.kind', 'string'],
  LOGPIPE_QUEUE_PREFIX: ['queue.prefix', 'string'],
  LOGPIPE_QUEUE_CODEC: ['queue.codec', 'string'],
  LOGPIPE_QUEUE_MAX_LENGTH: ['queue.maxLength', 'int'],
  LOGPIPE_CLAIM_IDLE_MS: ['queue.claimIdleMs', 'int'],
  LOGPIPE_MAX_DELIVERIES: ['queue.maxDeliveries', 'int'],
  LOGPIPE_CHUNK_MAX_LINES: ['chunk.maxLines', 'int'],
  LOGPIPE_CHUNK_MAX_BYTES: ['chunk.maxBytes', 'int'],
  LOGPIPE_MAX_LINE_BYTES: ['chunk.maxLineBytes', 'int'],
  LOGPIPE_BATCH_CHUNKS: ['processor.batchChunks', 'int'],
  LOGPIPE_PROCESSOR_CONCURRENCY: ['processor.concurrency', 'int'],
  LOGPIPE_PARSE_THREADS: ['processor.parseThreads', 'int'],
  LOGPIPE_PARSE_YOUNG_GENERATION_MB: ['processor.parseYoungGenerationMb', 'int'],
  LOGPIPE_COPY_FORMAT: ['processor.copyFormat', 'string'],
  LOGPIPE_FOLLOW: ['reader.follow', 'bool'],
  LOGPIPE_WATCHED_PORTS: ['rollups.watchedPorts', 'intList'],
  LOGPIPE_RETENTION_DAYS: ['retention.keepDays', 'int'],
  PGSSLMODE: ['database.sslmode', 'string'],
  PGSSLROOTCERT: ['database.sslrootcert', 'string'],
  PGSSLCERT: ['database.sslcert', 'string'],
  PGSSLKEY: ['database.sslkey', 'string'],
  PG_PASSWORD_FILE: ['database.passwordFile', 'string'],
  REDIS_PASSWORD_FILE: ['queue.passwordFile', 'string'],
  LOGPIPE_QUEUE_PASSWORD_FILE: ['queue.passwordFile', 'string'],
  LOGPIPE_CONNECT_TIMEOUT_MS: ['connectTimeoutMs', 'int'],
  LOGPIPE_METRICS_PORT: ['metrics.port', 'int'],
  LOGPIPE_METRICS_HOST: ['metrics.host', 'string'],
  LOGPIPE_LOG_LEVEL: ['logLevel', 'string'],
  LOGPIPE_LOG_FORMAT: ['logFormat', 'string'],
};

/** Variables that give the queue's URL: the generic one, then each backend's (REDIS_URL, NATS_URL). */
const QUEUE_URL_ENV = ['LOGPIPE_QUEUE_URL', ...QUEUE_BACKENDS.flatMap((b) => (b.urlEnv ? [b.urlEnv] : []))];

/** The environment variables logpipe reads (test/unit/config.test.ts checks the README documents each). */
export const ENV_NAMES = [
  ...Object.keys(ENV_SETTINGS), ...QUEUE_URL_ENV, 'PG_HOST', 'PG_PORT', 'PG_DB', 'PG_USER', 'PG_PASSWORD', 'REDIS_HOST', 'REDIS_PORT', 'LOGPIPE_CONFIG',
];

/** An environment string as the setting's type; left as it is when it is not one (the schema then names it). */
function typed(value: string, kind: Kind): unknown {
  switch (kind) {
    case 'int':
      return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
    case 'bool': {
      const v = value.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      return value;
    }
    case 'list':
      return value.split(',').map((v) => v.trim()).filter(Boolean);
    case 'intList':
      return value.split(',').map((v) => v.trim()).filter(Boolean).map((v) => (/^\d+$/.test(v) ? Number(v) : v));
    default:
      return value;
  }
}

const enc = (s: string) => encodeURIComponent(s);

/** The seed's variables: any PG_* selects a PostgreSQL server. */
function fromSeedVariables(env: NodeJS.ProcessEnv, origins: Map<string, string>): Tree {
  const out: Tree = {};
  if (!env.DATABASE_URL && ['PG_HOST', 'PG_PORT', 'PG_DB', 'PG_USER', 'PG_PASSWORD'].some((k) => env[k])) {
    const auth = enc(env.PG_USER ?? 'postgres') + (env.PG_PASSWORD ? ':' + enc(env.PG_PASSWORD) : '');
    out.databaseUrl = `postgres://${auth}@${env.PG_HOST ?? 'localhost'}:${env.PG_PORT ?? '5432'}/${enc(env.PG_DB ?? 'postgres')}`;
    origins.set('databaseUrl', 'PG_HOST/PG_PORT/PG_DB/PG_USER/PG_PASSWORD');
  }
  return out;
}

/** Queue URLs the environment offers, with the variable each came from (REDIS_HOST/PORT are the seed's Redis). */
function queueUrlsInEnv(env: NodeJS.ProcessEnv): { name: string; url: string }[] {
  const out = QUEUE_URL_ENV.filter((k) => env[k]).map((k) => ({ name: k, url: env[k]! }));
  if (!env.REDIS_URL && (env.REDIS_HOST || env.REDIS_PORT)) {
    out.push({ name: 'REDIS_HOST/REDIS_PORT', url: `redis://${env.REDIS_HOST ?? 'localhost'}:${env.REDIS_PORT ?? '6379'}` });
  }
  return out;
}

/**
 * The queue URL from the environment, if any: the one variable that is set, or the one of the
 * chosen `kind`'s backend. It overrides a config file's queue.url (environment over file), not a flag.
 */
function queueUrlFromEnv(env: NodeJS.ProcessEnv, kind: unknown): { name: string; url: string } | null {
  const offered = queueUrlsInEnv(env);
  const fits = typeof kind === 'string' ? offered.filter((o) => o.name === 'LOGPIPE_QUEUE_URL' || backendForUrl(o.url)?.name === kind) : offered;
  if (fits.length > 1) {
    throw new ConfigError(
      `${fits.map((o) => o.name).join(' and ')} are all set: say which queue to use with LOGPIPE_QUEUE_KIND (or queue.kind, --queue-kind): ` +
        QUEUE_BACKENDS.map((b) => b.name).join(', '),
    );
  }
  return fits[0] ?? null;
}

export function fromEnv(env: NodeJS.ProcessEnv, origins = new Map<string, string>()): Tree {
  const out = fromSeedVariables(env, origins);
  for (const [name, [path, kind]] of Object.entries(ENV_SETTINGS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(out, path, typed(value, kind));
    origins.set(path, name);
  }
  return out;
}

export interface LoadOptions {
  /** Settings from command-line flags, as dotted paths (`chunk.maxLines`) or nested objects, already typed. */
  flags?: Record<string, unknown>;
  /** Flag names by setting path, for messages (`chunk.maxLines` → `--chunk-max-lines`). */
  flagNames?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  /** JSON or YAML config file; LOGPIPE_CONFIG in the environment names one too. */
  file?: string;
}

function readFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let tree: unknown;
  try {
    tree = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (tree === null || tree === undefined) return {};
  if (typeof tree !== 'object' || Array.isArray(tree)) throw new ConfigError(`config file ${file} must hold an object of settings`);
  return tree as Tree;
}

/** Keys the schema knows at a path (nested objects may be wrapped in defaults). */
function knownKeys(path: (string | number | symbol)[]): string[] {
  type Node = { _zod: { def: { type: string; shape?: Record<string, Node>; innerType?: Node } } };
  let node = ConfigSchema as unknown as Node;
  const unwrap = (n: Node): Node => (n._zod.def.innerType ? unwrap(n._zod.def.innerType) : n);
  for (const k of path) {
    const shape = unwrap(node)._zod.def.shape;
    if (!shape?.[String(k)]) return [];
    node = shape[String(k)];
  }
  return Object.keys(unwrap(node)._zod.def.shape ?? {});
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/** The known key closest to `key`, if it is close enough to be a typo. */
export function didYouMean(key: string, known: string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const dist = distance(key, k);
    if (dist < bestD) [best, bestD] = [k, dist];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

/** Settings of earlier versions under their new names. */
const RENAMED: Record<string, string> = { redisUrl: 'queue.url (the queue backend follows from its scheme, or queue.kind)' };

/** Where each setting of a loaded configuration came from, for messages that name the setting. */
const ORIGINS = new WeakMap<Config, Map<string, string>>();

/** "DATABASE_URL", "--database-url", "config file c.yaml", or "default": how to change a setting. */
export function originOf(config: Config, path: string): string {
  return ORIGINS.get(config)?.get(path) ?? 'default';
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? {};
  const file = opts.file ?? env.LOGPIPE_CONFIG;
  const origins = new Map<string, string>();
  const fromFile = file ? readFile(file) : {};
  const fileOrigins = (tree: Tree, prefix: string) => {
    for (const [k, v] of Object.entries(tree)) {
      const path = prefix + k;
      if (v && typeof v === 'object' && !Array.isArray(v)) fileOrigins(v as Tree, path + '.');
      origins.set(path, `config file ${file}`);
    }
  };
  fileOrigins(fromFile, '');
  const envTree = fromEnv(env, origins);
  const flags: Tree = {};
  for (const [path, value] of Object.entries(opts.flags ?? {})) {
    if (value === undefined) continue;
    setPath(flags, path, value);
    origins.set(path, opts.flagNames?.[path] ?? `--${path.replace(/[A-Z.]/g, (c) => (c === '.' ? '-' : '-' + c.toLowerCase()))}`);
  }
  const raw = merge(merge(fromFile, envTree), flags);
  if ((flags.queue as Tree | undefined)?.url === undefined) {
    const fromEnvUrl = queueUrlFromEnv(env, getPath(raw, ['queue', 'kind']));
    if (fromEnvUrl) {
      setPath(raw, 'queue.url', fromEnvUrl.url);
      origins.set('queue.url', fromEnvUrl.name);
    }
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((i) => {
      const where = i.path.join('.') || '(top level)';
      if (i.code === 'unrecognized_keys') {
        return i.keys.map((k) => {
          const hint = didYouMean(k, knownKeys(i.path));
          const at = [...i.path, k].join('.');
          if (RENAMED[at]) return `  ${at}: renamed ${RENAMED[at]} (${origins.get(at) ?? `config file ${file}`})`;
          return `  ${at}: unknown setting${hint ? ` — did you mean ${[...i.path, hint].join('.')}?` : ` (known here: ${knownKeys(i.path).join(', ')})`} (${origins.get(at) ?? `config file ${file}`})`;
        });
      }
      const given = getPath(raw, i.path);
      const got = given === undefined || (typeof given === 'object' && given !== null) ? '' : ` (got ${JSON.stringify(given)}`;
      const from = origins.get(i.path.join('.'));
      return [`  ${where}: ${i.message}${got}${got ? (from ? ` from ${from})` : ')') : from ? ` (from ${from})` : ''}`];
    });
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
  ORIGINS.set(parsed.data, origins);
  return parsed.data;
}

/** The configuration with every secret replaced, for printing. */
export function redactedConfig(config: Config): Config {
  return { ...config, databaseUrl: config.databaseUrl && redactUrl(config.databaseUrl), queue: { ...config.queue, url: config.queue.url && redactUrl(config.queue.url) } };
}
