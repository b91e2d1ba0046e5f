/**
 * Squid's own stamp, seconds and milliseconds since the epoch (`1705314225.123`), the first
 * field of its native access.log. As an envelope it starts a line written by Squid itself; in a
 * syslog envelope (`squid[1234]: 1705314225.123 …`) it starts the message, and it is the time
 * that counts: when the request completed, not when syslog received the line.
 */
import { reject, type Rejected } from '../types.js';
import type { EnvelopeReader } from '../envelope/types.js';

/** Earliest and latest stamp taken: 2001-09-09 (10 digits) to 2100-01-01. */
const MIN_SECONDS = 1_000_000_000;
const MAX_SECONDS = 4_102_444_800;

/** The stamp at `from`: its instant and where its field ends; null if none starts there; a rejection if one starts but is broken. */
export function readSquidStamp(line: string, from: number): { ms: number; end: number } | Rejected | null {
  let i = from;
  let seconds = 0;
  while (i < line.length && i - from < 12) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    seconds = seconds * 10 + d;
    i++;
  }
  if (i - from < 9 || line.charCodeAt(i) !== 46 /* . */) return null; // not a Squid stamp
  const millisEnd = i + 4;
  let millis = 0;
  for (let j = i + 1; j < millisEnd; j++) {
    const d = line.charCodeAt(j) - 48; // NaN past the end of the line
    if (!(d >= 0 && d <= 9)) return reject('bad_timestamp', `bad Squid timestamp "${line.slice(from, millisEnd + 2)}" (seconds.milliseconds)`);
    millis = millis * 10 + d;
  }
  if (millisEnd < line.length && line.charCodeAt(millisEnd) !== 32) return reject('bad_timestamp', `bad Squid timestamp "${line.slice(from, millisEnd + 2)}"`);
  if (seconds < MIN_SECONDS || seconds >= MAX_SECONDS) return reject('bad_timestamp', `Squid timestamp ${seconds} is out of range`);
  return { ms: seconds * 1000 + millis, end: millisEnd };
}

/** A line Squid wrote itself: the stamp is the envelope, and the program is squid (the proxy type's). */
export const squidEnvelope: EnvelopeReader = {
  format: 'squid',
  read(line, from) {
    const s = readSquidStamp(line, from);
    if (s === null || 'ok' in s) return s;
    return { format: 'squid', epochMs: s.ms, ts: new Date(s.ms).toISOString(), host: null, program: 'squid', pid: null, msgStart: s.end + 1, delim: 32 };
  },
};
