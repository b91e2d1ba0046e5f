/**
 * Hand-written scanners for the field types every log type shares. They run once per line, so
 * they avoid regular expressions and allocation; each returns a sentinel instead of throwing.
 */
import { isIPv6 } from 'node:net';

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
  return parseUintAt(s, 0, s.length, max);
}

/** parseUint of `s[from, to)`, without cutting it out first. */
export function parseUintAt(s: string, from: number, to: number, max: number): number {
  const len = to - from;
  if (len <= 0 || len > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n > max ? -1 : n;
}

export const MAX_PORT = 65535;
export const MAX_INT4 = 2147483647;
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
