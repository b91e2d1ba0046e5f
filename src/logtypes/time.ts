/**
 * Time stamps as logs write them: ISO 8601 with or without a zone, syslog's `Mmm dd hh:mm:ss`
 * (no year, no zone), BIND's `dd-Mmm-yyyy hh:mm:ss.mmm`. Hand-written scanners (they run once per
 * line); a stamp without a zone is read in the input's IANA time zone.
 */

/** Years outside this range are "impossible" (misparsed or corrupt) and quarantined. */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2099;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Whether year-month-day hh:mm:ss is a real moment of the Gregorian calendar in 1970–2099. */
export function validCivil(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0)) return false;
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

/**
 * Days since 1970-01-01 of a Gregorian date (H. Hinnant's days_from_civil), in integer arithmetic:
 * Date.UTC costs several times more and this runs once per line.
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Wall-clock milliseconds (as if UTC) of a civil date and time. */
export function wallMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  return (((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second) * 1000 + ms;
}

/** `+HH:MM` / `-HH:MM` for an offset in minutes, as PostgreSQL reads it. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/**
 * An IANA time zone, for stamps that carry none. Offsets come from Intl (the ICU data Node ships)
 * and are cached per quarter hour, so a line costs a map lookup, not a formatter call.
 */
export class TimeZone {
  static readonly UTC = new TimeZone('UTC');
  private static readonly byName = new Map<string, TimeZone>([['UTC', TimeZone.UTC]]);
  private readonly format: Intl.DateTimeFormat | null;
  private readonly cache = new Map<number, number>();

  /** The zone of that name; throws RangeError for a name Intl does not know. */
  static of(name: string): TimeZone {
    let z = TimeZone.byName.get(name);
    if (!z) TimeZone.byName.set(name, (z = new TimeZone(name)));
    return z;
  }

  private constructor(readonly name: string) {
    this.format = name === 'UTC'
      ? null
      : new Intl.DateTimeFormat('en-US', {
        timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
  }

  /** Minutes east of UTC in this zone at the instant `utcMs`. */
  offsetAt(utcMs: number): number {
    if (!this.format) return 0;
    const key = Math.floor(utcMs / (15 * MINUTE_MS));
    let offset = this.cache.get(key);
    if (offset === undefined) {
      const p: Record<string, number> = {};
      for (const part of this.format.formatToParts(key * 15 * MINUTE_MS)) if (part.type !== 'literal') p[part.type] = Number(part.value);
      offset = Math.round((wallMs(p.year, p.month, p.day, p.hour, p.minute, p.second, 0) - key * 15 * MINUTE_MS) / MINUTE_MS);
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(key, offset);
    }
    return offset;
  }

  /**
   * The offset (minutes) that turns a wall-clock time of this zone into UTC. A time repeated when
   * summer time ends is taken at its first occurrence (the earlier instant); a time skipped when
   * it begins is read with the offset in force before the change.
   */
  offsetForWall(wall: number): number {
    if (!this.format) return 0;
    const before = this.offsetAt(wall - DAY_MS / 2);
    const after = this.offsetAt(wall + DAY_MS / 2);
    if (before === after) return before;
    const validBefore = this.offsetAt(wall - before * MINUTE_MS) === before;
    const validAfter = this.offsetAt(wall - after * MINUTE_MS) === after;
    if (validBefore && validAfter) return Math.max(before, after); // the larger offset is the earlier instant
    if (validAfter && !validBefore) return after;
    return before;
  }
}

/** Where a stamp's zone designator starts (`Z`, `±HH:MM`, `±HHMM`), or -1 if it has none. */
function zoneStart(s: string, from: number): number {
  const len = s.length;
  const last = s.charCodeAt(len - 1);
  if (last === 90 || last === 122) return len - 1; // Z / z
  for (const at of [len - 6, len - 5]) {
    if (at < from) continue;
    const c = s.charCodeAt(at);
    if (c === 43 || c === 45) return at; // + / -
  }
  return -1;
}

/**
 * Parses an ISO 8601 stamp `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM|±HHMM]` that fills `s`.
 * Returns milliseconds since the epoch, or NaN when malformed or impossible (month 13,
 * 30 February, hour 24…). A stamp without a zone is read in `zone`; with `zone` null it is NaN.
 */
export function parseIsoTimestamp(s: string, zone: TimeZone | null): number {
  const len = s.length;
  if (len < 19 || len > 35) return NaN;
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
  if (!validCivil(year, month, day, hour, minute, second)) return NaN;
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
  const wall = wallMs(year, month, day, hour, minute, second, ms);
  if (i === len) return zone ? wall - zone.offsetForWall(wall) * MINUTE_MS : NaN;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) return i + 1 === len ? wall : NaN; // 'Z' / 'z'
  if (z !== 43 && z !== 45) return NaN;
  // '+' / '-': ±HH:MM or ±HHMM
  const oh = digits(s, i + 1, 2);
  const colon = s.charCodeAt(i + 3) === 58 ? 1 : 0;
  const om = digits(s, i + 3 + colon, 2);
  if (oh < 0 || oh > 14 || om < 0 || om > 59 || i + 5 + colon !== len) return NaN;
  return wall - (oh * 60 + om) * (z === 45 ? -1 : 1) * MINUTE_MS;
}

/** Whether an ISO stamp (already valid) names its zone. */
export function hasZone(s: string): boolean {
  return zoneStart(s, 19) !== -1;
}

/** Month number (1–12) of the three-letter English abbreviation at `at` (`Jan`…`Dec`, any case), or -1. */
export function monthAt(s: string, at: number): number {
  const a = s.charCodeAt(at) | 32, b = s.charCodeAt(at + 1) | 32, c = s.charCodeAt(at + 2) | 32;
  switch (a) {
    case 106: // j
      if (b === 97 && c === 110) return 1; // jan
      if (b === 117 && c === 110) return 6; // jun
      if (b === 117 && c === 108) return 7; // jul
      return -1;
    case 102: return b === 101 && c === 98 ? 2 : -1; // feb
    case 109: // m
      if (b !== 97) return -1;
      return c === 114 ? 3 : c === 121 ? 5 : -1; // mar, may
    case 97: // a
      if (b === 112 && c === 114) return 4; // apr
      if (b === 117 && c === 103) return 8; // aug
      return -1;
    case 115: return b === 101 && c === 112 ? 9 : -1; // sep
    case 111: return b === 99 && c === 116 ? 10 : -1; // oct
    case 110: return b === 111 && c === 118 ? 11 : -1; // nov
    case 100: return b === 101 && c === 99 ? 12 : -1; // dec
    default: return -1;
  }
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/** ISO text PostgreSQL reads exactly: the wall time as logged plus the offset applied to it. */
export function isoText(year: number, month: number, day: number, hour: number, minute: number, second: number, fraction: string, offsetMin: number): string {
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}${fraction}${formatOffset(offsetMin)}`;
}
