/**
 * BSD syslog (RFC 3164) and rsyslog's traditional template: `Mmm dd hh:mm:ss HOST TAG: MSG`, the
 * day space-padded (`Jan  5`), no year, no zone; an optional `<PRI>` in front when written as
 * received. The zone is the input's; the year is `input.year`, or the year of the file's
 * modification time, less one for a month after that time's month (December lines in a file
 * last written in January belong to the year before).
 */
import { digits, isoText, monthAt, validCivil, wallMs } from '../time.js';
import { reject } from '../types.js';
import { readSyslogHeader } from './syslog-header.js';
import type { Envelope, EnvelopeReader } from './types.js';

export const rfc3164: EnvelopeReader = {
  format: 'rfc3164',
  read(line, from, ctx) {
    const month = monthAt(line, from);
    if (month < 0 || line.charCodeAt(from + 3) !== 32) return null;
    // Day: " 5", "05" or (not by the RFC, but written) "5".
    let i = from + 4;
    if (line.charCodeAt(i) === 32) i++;
    let day = digits(line, i, 2);
    if (day >= 0 && line.charCodeAt(i + 2) === 32) i += 3;
    else if ((day = digits(line, i, 1)) >= 0 && line.charCodeAt(i + 1) === 32) i += 2;
    else return null;
    if (line.charCodeAt(i + 2) !== 58 || line.charCodeAt(i + 5) !== 58) return null;
    const hour = digits(line, i, 2), minute = digits(line, i + 3, 2), second = digits(line, i + 6, 2);
    if (hour < 0 || minute < 0 || second < 0) return null;
    let end = i + 8;
    let fraction = '';
    if (line.charCodeAt(end) === 46) {
      // rsyslog can add fractions to the traditional stamp; kept to the digit.
      let f = end + 1;
      while (f < line.length && line.charCodeAt(f) >= 48 && line.charCodeAt(f) <= 57) f++;
      fraction = line.slice(end, f);
      end = f;
    }
    if (line.charCodeAt(end) !== 32) return null;
    const year = ctx.year ?? (month > ctx.refMonth ? ctx.refYear - 1 : ctx.refYear);
    if (!validCivil(year, month, day, hour, minute, second)) {
      return reject('bad_timestamp', `no such time "${line.slice(from, end)}" in ${year}`);
    }
    let ms = 0;
    for (let k = 1; k <= 3; k++) ms = ms * 10 + (k < fraction.length ? fraction.charCodeAt(k) - 48 : 0);
    const wall = wallMs(year, month, day, hour, minute, second, ms);
    const offset = ctx.zone.offsetForWall(wall);
    const env: Envelope = {
      format: 'rfc3164', epochMs: wall - offset * 60_000, ts: isoText(year, month, day, hour, minute, second, fraction, offset),
      host: null, program: null, pid: null, msgStart: end + 1, delim: 32,
    };
    return readSyslogHeader(line, end + 1, env, true);
  },
};
