/**
 * Errors a user can act on, and how an error becomes one or two lines that name the service,
 * the setting and what to do. The exit code contract: 0 done; 1 a runtime failure (a service
 * unreachable or refusing); 2 a configuration or usage error, before anything started; 3 done
 * in part (some inputs could not be read, or a day maintain found busy); 130/143 never (a
 * signal ends a role cleanly with 0).
 */
export const EXIT = { OK: 0, RUNTIME: 1, CONFIG: 2, PARTLY_DONE: 3 } as const;

/** A runtime failure whose message is already what the user should read (no stack needed). */
export class ServiceError extends Error {
  override name = 'ServiceError';
}

/** A string of the error's own (code and message), whatever was thrown. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (err === undefined || err === null) return 'unknown error';
  return String(err);
}

const NET_HINTS: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is it running, and listening on that address?',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name could not be resolved (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the server',
  ETIMEDOUT: 'no answer in time',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS: the server\'s certificate chains to a CA that is not trusted (set database.sslrootcert / PGSSLROOTCERT to its CA)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: the server\'s certificate is self-signed and not trusted (set database.sslrootcert / PGSSLROOTCERT)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: the server\'s certificate cannot be verified (set database.sslrootcert / PGSSLROOTCERT to its CA)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: the server\'s certificate does not name the host connected to (connect by a name it holds, or use sslmode verify-ca)',
  CERT_HAS_EXPIRED: 'TLS: the server\'s certificate has expired',
};

/** Why a connection failed, in words: a network error code, a timeout, or the server's own message. */
export function connectProblem(err: unknown, timeoutMs: number): string {
  const e = err as { code?: string; message?: string; errors?: { code?: string }[] };
  const code = e?.code ?? e?.errors?.find((x) => x.code)?.code;
  if (code && NET_HINTS[code]) return `${NET_HINTS[code]} (${code})`;
  const msg = errorText(err);
  if (/timeout|timed out/i.test(msg)) return `no answer within ${timeoutMs / 1000} s (connectTimeoutMs)`;
  return msg.split('\n')[0];
}
