/**
 * Real services for tests: each test file gets its own PostgreSQL database and Redis key prefix,
 * and removes them afterwards, so tests can run beside a benchmark.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';
import { deletePrefixedKeys } from '../../src/queue/keys.js';

export const ADMIN_URL = process.env.LOGPIPE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.LOGPIPE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

export interface TempDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function tempDatabase(): Promise<TempDatabase> {
  const name = uniqueName('logpipe_test');
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = '/' + name;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Deletes every key under a test's prefix. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await deletePrefixedKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** The local PostgreSQL cluster's version, when the tests may stop and start it (root, pg_ctlcluster). */
export function pgCluster(): string | null {
  if (process.getuid?.() !== 0 || !existsSync('/etc/postgresql')) return null;
  const versions = readdirSync('/etc/postgresql').sort();
  return versions.length ? versions[versions.length - 1] : null;
}

/** stop, start or restart the local cluster, and wait until it answers again after a start. */
export function pgCtl(action: 'stop' | 'start' | 'restart'): void {
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', pgCluster()!, 'main', action, ...(action === 'start' ? [] : ['-m', 'fast'])], { stdio: 'ignore' });
  if (action === 'stop') return;
  for (let i = 0; i < 300; i++) {
    try {
      execFileSync('pg_isready', ['-h', '127.0.0.1', '-q']);
      return;
    } catch {
      execFileSync('sleep', ['0.1']);
    }
  }
  throw new Error('PostgreSQL did not come back');
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
