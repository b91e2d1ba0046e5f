/**
 * Hand-written scanners for the field types every log type shares. They run once per line, so
 * they avoid regular expressions and allocation; each returns a sentinel instead of throwing.
 */
import { isIPv6 } from 'node:net';

/** Years outside this range are "impossible" (misparsed or corrupt) and quarantined. */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2099;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Parses an ISO 8601 timestamp `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)` that fills the
 * whole string. Returns milliseconds since the epoch, or NaN when malformed or impossible
 * (month 13, 30 February, hour 24…). A timestamp without a zone is rejected: it is ambiguous.
 */
export function parseTimestamp(s: string): number {
  const len = s.length;
  if (len < 20 || len > 35) return NaN;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return NaN; // '-'
  const t = s.charCodeAt(10);
  if (t !== 84 && t !== 116) return NaN; // 'T' or 't'
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN; // ':'
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1) return NaN;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0)) return NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return NaN;
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    // '.': 1 to 9 fraction digits, milliseconds kept
    const start = ++i;
    while (i < len) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      if (i - start < 3) ms = ms * 10 + c;
      i++;
    }
    const n = i - start;
    if (n === 0 || n > 9) return NaN;
    for (let k = n; k < 3; k++) ms *= 10;
  }
  let offsetMin = 0;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) {
    // 'Z' / 'z'
    if (i + 1 !== len) return NaN;
  } else if (z === 43 || z === 45) {
    // '+' / '-': ±HH:MM or ±HHMM
    const oh = digits(s, i + 1, 2);
    const colon = s.charCodeAt(i + 3) === 58 ? 1 : 0;
    const om = digits(s, i + 3 + colon, 2);
    if (oh < 0 || oh > 14 || om < 0 || om > 59 || i + 5 + colon !== len) return NaN;
    offsetMin = (oh * 60 + om) * (z === 45 ? -1 : 1);
  } else {
    return NaN;
  }
  return (((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offsetMin) * 60 + second) * 1000 + ms;
}

/**
 * Days since 1970-01-01 of a Gregorian date (H. Hinnant's days_from_civil), in integer arithmetic:
 * Date.UTC costs several times more and this runs once per line.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Dotted-quad IPv4 without leading zeros (which some parsers read as octal). */
export function isIPv4(s: string): boolean {
  const len = s.length;
  if (len < 7 || len > 15) return false;
  let octets = 0;
  let value = 0;
  let width = 0;
  for (let i = 0; i <= len; i++) {
    const c = i === len ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (width === 0 || octets === 4) return false;
      octets++;
      value = 0;
      width = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return false;
    if (width === 1 && value === 0) return false; // leading zero
    value = value * 10 + d;
    width++;
    if (value > 255) return false;
  }
  return octets === 4;
}

/** IPv4 or IPv6 literal accepted by PostgreSQL's inet (no zone index). */
export function isIP(s: string): boolean {
  if (isIPv4(s)) return true;
  return s.length <= 45 && s.indexOf(':') !== -1 && s.indexOf('%') === -1 && isIPv6(s);
}

/** A non-negative decimal integer no larger than `max`, else -1. No sign, no spaces, ≤ 15 digits. */
export function parseUint(s: string, max: number): number {
  const len = s.length;
  if (len === 0 || len > 15) return -1;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n > max ? -1 : n;
}

export const MAX_PORT = 65535;
export const MAX_INT4 = 2147483647;
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Index of the timestamp's end: the first char of `stop` (space or pipe), or -1. */
export function timestampEnd(line: string, stop: number): number {
  // Timestamps are 20–35 chars; looking no further keeps garbage lines cheap.
  const limit = Math.min(line.length, 36);
  for (let i = 19; i < limit; i++) if (line.charCodeAt(i) === stop) return i;
  return -1;
}

/** True when the line starts like a timestamp (`DDDD-DD-DDT`), the cheap first test of every type. */
export function startsWithDate(line: string): boolean {
  return (
    line.length > 20 &&
    line.charCodeAt(4) === 45 &&
    line.charCodeAt(7) === 45 &&
    (line.charCodeAt(10) === 84 || line.charCodeAt(10) === 116)
  );
}
