/**
 * Every Redis key logpipe uses is built here. None contains "queue": the seed's benchmark reads
 * keys named like that as lists, and logpipe's stream must not confuse it.
 */
export interface QueueKeys {
  /** The stream of chunk messages. */
  stream: string;
  /** A random token set by the reader: if it vanishes, Redis lost its data (flush, restart). */
  epoch: string;
}

export function queueKeys(prefix: string): QueueKeys {
  return { stream: `${prefix}:chunks`, epoch: `${prefix}:epoch` };
}
