/**
 * An ISO 8601 stamp first: the seed's `2024-01-15T10:23:45.123Z|…` and `… client …`, rsyslog's
 * high-precision template (`2024-01-15T10:23:45.123456+01:00 host prog[pid]: msg`), journald's
 * short-iso (`+0000` offsets) and BIND's `print-time iso8601`. A stamp without an offset is read in
 * the input's time zone.
 */
import { formatOffset, hasZone, parseIsoTimestamp, TimeZone } from '../time.js';
import { reject } from '../types.js';
import { readSyslogHeader } from './syslog-header.js';
import type { Envelope, EnvelopeReader } from './types.js';

/** Whether `DDDD-DD-DDT` starts at `at`: the cheap test before anything else. */
export function isoAt(line: string, at: number): boolean {
  return (
    line.length > at + 19 &&
    line.charCodeAt(at + 4) === 45 &&
    line.charCodeAt(at + 7) === 45 &&
    (line.charCodeAt(at + 10) === 84 || line.charCodeAt(at + 10) === 116)
  );
}

export const iso: EnvelopeReader = {
  format: 'iso',
  read(line, from, ctx) {
    if (!isoAt(line, from)) return null;
    // The stamp ends at the first space or pipe; stamps are 19–35 chars, so looking no further keeps garbage cheap.
    let end = -1;
    const limit = Math.min(line.length, from + 36);
    for (let i = from + 19; i < limit; i++) {
      const c = line.charCodeAt(i);
      if (c === 32 || c === 124) {
        end = i;
        break;
      }
    }
    if (end < 0) return reject('bad_timestamp', 'no space or "|" after the timestamp');
    const stamp = line.slice(from, end);
    const ms = parseIsoTimestamp(stamp, TimeZone.UTC);
    if (Number.isNaN(ms)) return reject('bad_timestamp', `bad timestamp "${stamp}"`);
    const env: Envelope = { format: 'iso', epochMs: ms, ts: stamp, host: null, program: null, pid: null, msgStart: end + 1, delim: line.charCodeAt(end) };
    if (!hasZone(stamp)) {
      // The wall time as logged, read in the input's zone; the text keeps every fraction digit.
      const offset = ctx.zone.offsetForWall(ms);
      env.epochMs = ms - offset * 60_000;
      env.ts = stamp + formatOffset(offset);
    }
    return env.delim === 124 ? env : readSyslogHeader(line, end + 1, env, false);
  },
};
