/**
 * How to reach PostgreSQL: the URL, TLS and the password, resolved once from the settings
 * (`database.*`, PGSSLMODE…, PG_PASSWORD_FILE) and the URL's own `sslmode`/`sslrootcert`/
 * `sslcert`/`sslkey` parameters. TLS options are built here rather than left to the driver's URL
 * parsing, which reads `sslmode=require` as verify-full and prints a warning about it; a password
 * file is read at every connection, so a rotated password needs no restart, and it never enters
 * a URL that could be printed.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
const MODES: readonly string[] = ['disable', 'require', 'verify-ca', 'verify-full'];

export interface DatabaseSettings {
  sslmode?: SslMode;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  passwordFile?: string;
}

/** A PostgreSQL to connect to: a URL without TLS parameters, its TLS options, and where its password comes from. */
export interface PgTarget {
  url: string;
  sslmode: SslMode;
  ssl: false | ConnectionOptions;
  passwordFile?: string;
}

/** A setting that cannot be used (a file that cannot be read, an unknown mode): the message names it. */
export class ConnectionSettingError extends Error {
  override name = 'ConnectionSettingError';
}

function pem(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConnectionSettingError(`${setting}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function pgTarget(url: string, settings: DatabaseSettings = {}): PgTarget {
  const u = new URL(url);
  const fromUrl = (k: string) => {
    const v = u.searchParams.get(k) ?? undefined;
    u.searchParams.delete(k);
    return v;
  };
  const s = {
    sslmode: fromUrl('sslmode'), sslrootcert: fromUrl('sslrootcert'), sslcert: fromUrl('sslcert'), sslkey: fromUrl('sslkey'),
  };
  const mode = settings.sslmode ?? s.sslmode ?? 'disable';
  if (!MODES.includes(mode)) {
    throw new ConnectionSettingError(`sslmode "${mode}": use disable, require, verify-ca or verify-full (prefer and allow, which fall back to plain text silently, are not offered)`);
  }
  const rootcert = settings.sslrootcert ?? s.sslrootcert;
  const cert = settings.sslcert ?? s.sslcert;
  const key = settings.sslkey ?? s.sslkey;
  let ssl: PgTarget['ssl'] = false;
  if (mode !== 'disable') {
    ssl = {
      rejectUnauthorized: mode !== 'require',
      ...(rootcert ? { ca: pem('database.sslrootcert', rootcert) } : {}),
      ...(cert ? { cert: pem('database.sslcert', cert) } : {}),
      ...(key ? { key: pem('database.sslkey', key) } : {}),
      // verify-ca: the chain is checked, the host name is not (as libpq).
      ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    };
  }
  // Readable now, or not at all: a missing file is a configuration error at start, not at the first connection that asks for it.
  if (settings.passwordFile) pem('database.passwordFile', settings.passwordFile);
  return { url: u.toString(), sslmode: mode as SslMode, ssl, passwordFile: settings.passwordFile };
}

/** The driver's settings for a target: TLS options, and the password read from its file at each connection. */
export function clientConfig(t: PgTarget): pg.ClientConfig {
  return {
    connectionString: t.url,
    ssl: t.ssl,
    ...(t.passwordFile ? { password: () => readPassword(t.passwordFile!) } : {}),
  };
}

/** A password file's content, without the final newline editors add. */
export async function readPassword(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new ConnectionSettingError(`password file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
