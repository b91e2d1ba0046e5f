import type { ConnectionOptions } from 'nats';

/**
 * Connection options from a queue URL: nats:// (or tls://, TLS required) host and port; a user
 * and password, or a token alone, from the URL's user part (nats.js does not read them there)
 * or from queue.passwordFile.
 * Reconnects for ever: a NATS restart is waited out, never fatal.
 */
export function connectOptions(url: string, name: string, timeoutMs: number, password?: string): ConnectionOptions {
  const u = new URL(url);
  const tls = u.protocol === 'tls:';
  // A password from queue.passwordFile goes with the URL's user, or alone as a token.
  const pass = password ?? (u.password ? decodeURIComponent(u.password) : undefined);
  const auth = pass !== undefined
    ? (u.username ? { user: decodeURIComponent(u.username), pass } : { token: pass })
    : u.username ? { token: decodeURIComponent(u.username) } : {};
  return {
    servers: `${tls ? 'tls' : 'nats'}://${u.host}`,
    ...auth,
    ...(tls ? { tls: {} } : {}),
    name,
    timeout: timeoutMs,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  };
}
