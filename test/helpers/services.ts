/**
 * Real services for tests: each test gets its own PostgreSQL database and queue (Redis key prefix
 * or NATS stream), and removes them afterwards, so tests can run beside a benchmark.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openQueue } from '../../src/queue/registry.js';
import { QueueCommonSettings } from '../../src/queue/types.js';

export const ADMIN_URL = process.env.LOGPIPE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.LOGPIPE_TEST_REDIS ?? 'redis://127.0.0.1:6379';
export const NATS_URL = process.env.LOGPIPE_TEST_NATS ?? 'nats://127.0.0.1:4222';

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

/** A handle on a test's own queue (its prefix names it) on the server at `url`, for stats and checks. */
export function testQueue(url: string, prefix: string, settings: Record<string, unknown> = {}) {
  return openQueue({ ...QueueCommonSettings.parse({ prefix, ...settings }), url }, `test-${process.pid}`, 5_000);
}

/** Removes a test's queue (Redis keys under its prefix, or its NATS stream). */
export async function dropQueue(url: string, prefix: string): Promise<void> {
  const q = testQueue(url, prefix);
  try {
    await q.destroy();
  } finally {
    await q.close();
  }
}

/** The local PostgreSQL cluster's version, when the tests may stop and start it (root, pg_ctlcluster). */
export function pgCluster(): string | null {
  if (process.getuid?.() !== 0 || !existsSync('/etc/postgresql')) return null;
  const versions = readdirSync('/etc/postgresql').sort();
  return versions.length ? versions[versions.length - 1] : null;
}

/**
 * stop, start or restart the local cluster, or `crash` it: SIGKILL to the postmaster and every
 * backend at once (no shutdown checkpoint, nothing flushed that a commit had not flushed), then a
 * start, which runs crash recovery from the WAL. Waits until it answers again after a start.
 */
export function pgCtl(action: 'stop' | 'start' | 'restart' | 'crash'): void {
  if (action === 'crash') {
    const dataDir = execFileSync('pg_lsclusters', ['--no-header', pgCluster()!, 'main']).toString().trim().split(/\s+/)[5];
    const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGSTOP'); // forks no backend between the listing and the kill
    const backends = execFileSync('pgrep', ['-P', String(postmaster)]).toString().trim().split('\n').map(Number);
    const all = [...backends, postmaster];
    for (const pid of all) process.kill(pid, 'SIGKILL');
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && all.some(alive); i++) execFileSync('sleep', ['0.05']);
    action = 'start';
  }
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

/** A nats-server of a test's own (JetStream, file store in a temporary directory), to kill and restart. */
export interface PrivateNats {
  url: string;
  start(): Promise<void>;
  /** SIGKILL, as a crash: nothing flushed on the way out. */
  kill(): Promise<void>;
  /** Killed for good and its store removed. */
  stop(): Promise<void>;
}

export async function privateNatsServer(): Promise<PrivateNats | null> {
  const bin = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));
  if (!bin) return null;
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'logpipe-nats-'));
  let child: ChildProcess | null = null;
  const server: PrivateNats = {
    url: `nats://127.0.0.1:${port}`,
    async start() {
      child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        if (await listening(port)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`nats-server on port ${port} did not start`);
    },
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    },
    async stop() {
      await server.kill();
      rmSync(store, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A redis-server of a test's own on a free port (no persistence), with extra arguments (--requirepass, TLS). */
export async function privateRedisServer(args: string[] = [], tlsPort = false): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('redis-server', [...(tlsPort ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)]), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await listening(port)); i++) await new Promise((r) => setTimeout(r, 50));
  return {
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}

/** A throw-away CA and a certificate for 127.0.0.1 and localhost signed by it (openssl), in `dir`. */
export function testCertificates(dir: string): { ca: string; cert: string; key: string } {
  const at = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=logpipe test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(at('san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('server.pem'), '-days', '2', '-extfile', at('san.cnf'));
  return { ca: at('ca.pem'), cert: at('server.pem'), key: at('server.key') };
}
