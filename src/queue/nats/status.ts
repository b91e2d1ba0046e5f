/** What NATS and JetStream answer with, by name: error codes of API replies and status messages of pull requests. */
import type { Msg } from 'nats';

/** JetStream API `err_code`s (nats-server's errors.json) and the core "no responders" status. */
export const NATS_ERR = {
  /** JSStreamNotFoundErr */
  STREAM_NOT_FOUND: 10059,
  /** JSConsumerNotFoundErr */
  CONSUMER_NOT_FOUND: 10014,
  /** JSStreamStoreFailedF: "maximum messages exceeded", "maximum bytes exceeded", or a storage failure */
  STORE_FAILED: 10077,
  /** No stream listens on the subject (it was deleted), or JetStream is not enabled. */
  NO_RESPONDERS: 503,
} as const;

/** The `err_code` of a JetStream API error, or 503 for "no responders"; undefined for anything else. */
export function natsErrorCode(err: unknown): number | undefined {
  const e = err as { api_error?: { err_code?: number }; code?: string } | null;
  if (e?.api_error?.err_code !== undefined) return e.api_error.err_code;
  return e?.code === '503' ? NATS_ERR.NO_RESPONDERS : undefined;
}

/** A publish refused because the stream is at its message or byte limit: wait and try again. */
export function isStreamFull(err: unknown): boolean {
  const e = err as { api_error?: { description?: string } } | null;
  return natsErrorCode(err) === NATS_ERR.STORE_FAILED && /maximum (messages|bytes)/i.test(e?.api_error?.description ?? '');
}

/**
 * The status code of a message on a pull request's inbox (404 no messages, 408 request expired,
 * 409 consumer deleted or limits, 503 no responders), or null for a real message.
 */
export function statusOf(m: Msg): { code: number; description: string } | null {
  const h = m.headers;
  if (!h || m.data.length > 0 || !h.code) return null;
  return { code: h.code, description: h.description };
}
