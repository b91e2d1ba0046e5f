/**
 * BIND 9's own log channel stamp: `15-Jan-2024 10:23:45.123 ` before the message (`queries: info:
 * client …` with print-category and print-severity, or `client …`). No zone: the input's.
 */
import { digits, isoText, monthAt, validCivil, wallMs } from '../time.js';
import { reject } from '../types.js';
import type { EnvelopeReader } from './types.js';

export const bind: EnvelopeReader = {
  format: 'bind',
  read(line, from, ctx) {
    // dd-Mmm-yyyy hh:mm:ss[.mmm]
    if (line.charCodeAt(from + 2) !== 45 || line.charCodeAt(from + 6) !== 45 || line.charCodeAt(from + 11) !== 32) return null;
    const day = digits(line, from, 2), month = monthAt(line, from + 3), year = digits(line, from + 7, 4);
    const t = from + 12;
    if (day < 0 || month < 0 || year < 0 || line.charCodeAt(t + 2) !== 58 || line.charCodeAt(t + 5) !== 58) return null;
    const hour = digits(line, t, 2), minute = digits(line, t + 3, 2), second = digits(line, t + 6, 2);
    if (hour < 0 || minute < 0 || second < 0) return null;
    let end = t + 8;
    let ms = 0;
    let fraction = '';
    if (line.charCodeAt(end) === 46) {
      const f = digits(line, end + 1, 3);
      if (f < 0) return null;
      ms = f;
      fraction = line.slice(end, end + 4);
      end += 4;
    }
    if (line.charCodeAt(end) !== 32) return null;
    if (!validCivil(year, month, day, hour, minute, second)) return reject('bad_timestamp', `no such time "${line.slice(from, end)}"`);
    const wall = wallMs(year, month, day, hour, minute, second, ms);
    const offset = ctx.zone.offsetForWall(wall);
    return {
      format: 'bind', epochMs: wall - offset * 60_000, ts: isoText(year, month, day, hour, minute, second, fraction, offset),
      host: null, program: null, pid: null, msgStart: end + 1, delim: 32,
    };
  },
};
