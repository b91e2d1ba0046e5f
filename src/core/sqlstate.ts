/**
 * The PostgreSQL error codes (SQLSTATE, appendix A of its manual) logpipe acts on, by name, and
 * the one test of whether an error is worth retrying.
 */
export const SQLSTATE = {
  FOREIGN_KEY_VIOLATION: '23503',
  CHECK_VIOLATION: '23514',
  UNDEFINED_TABLE: '42P01',
  UNDEFINED_COLUMN: '42703',
  UNDEFINED_FUNCTION: '42883',
  INVALID_SCHEMA_NAME: '3F000',
  INSUFFICIENT_PRIVILEGE: '42501',
  INVALID_PASSWORD: '28P01',
  INVALID_AUTHORIZATION: '28000',
  INVALID_CATALOG_NAME: '3D000',
  CANNOT_CONNECT_NOW: '57P03',
  READ_ONLY_TRANSACTION: '25006',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  UNIQUE_VIOLATION: '23505',
  EXCLUSION_VIOLATION: '23P01',
  PROTOCOL_VIOLATION: '08P01',
  INVALID_BINARY_REPRESENTATION: '22P03',
  LOCK_NOT_AVAILABLE: '55P03',
} as const;

/**
 * Binary COPY data a column's receive function refused: the table's columns are not those the
 * processor encodes for (changed by a migration after it started). Not the rows' fault.
 */
export function isColumnMismatch(err: unknown): boolean {
  const c = sqlState(err);
  return c === SQLSTATE.PROTOCOL_VIOLATION || c === SQLSTATE.INVALID_BINARY_REPRESENTATION;
}

/** The SQLSTATE of a node-postgres error, if it has one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Tables or schemas that are not there (a reset database, or one never initialised). */
export function isMissingRelation(err: unknown): boolean {
  const c = sqlState(err);
  return c === SQLSTATE.UNDEFINED_TABLE || c === SQLSTATE.INVALID_SCHEMA_NAME;
}

/**
 * Errors worth retrying: the connection lost (class 08), the server starting, stopping or out of
 * resources (57P, 53), a serialization failure or a deadlock; and the socket-level failures
 * node-postgres reports without a code.
 */
export function isTransientPgError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code === SQLSTATE.PROTOCOL_VIOLATION) return false; // sent again, refused again
  if (e.code && /^(08|57P|53|40001|40P01)/.test(e.code)) return true;
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection terminated|terminating connection|not queryable|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    e.message ?? '',
  );
}
