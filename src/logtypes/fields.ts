/**
 * Hand-written scanners for the field types every log type shares. They run once per line, so
 * they avoid regular expressions and allocation; each returns a sentinel instead of throwing.
 */
import { isIPv6 } from 'node:net';

/**
 * A dotted-quad IPv4 address without leading zeros (which some parsers read as octal) as its 32
 * bits in a signed 32-bit integer (a small integer to V8: no allocation, a cheap map key), or
 * null. `s[from, to)`, without cutting it out first.
 */
export function ipv4Bits(s: string, from = 0, to = s.length): number | null {
  const len = to - from;
  if (len < 7 || len > 15) return null;
  let octets = 0;
  let value = 0;
  let width = 0;
  let bits = 0;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (width === 0 || octets === 4) return null;
      octets++;
      bits = (bits << 8) | value;
      value = 0;
      width = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return null;
    if (width === 1 && value === 0) return null; // leading zero
    value = value * 10 + d;
    width++;
    if (value > 255) return null;
  }
  return octets === 4 ? bits : null;
}

/**
 * An address as an inet column's value: an IPv4 address as its bits (ipv4Bits, read in place), an
 * IPv6 literal as its text; null when `s[from, to)` is neither. Both encoders take either form
 * (ipText gives the text back).
 */
export function ipValue(s: string, from = 0, to = s.length): number | string | null {
  const v4 = ipv4Bits(s, from, to);
  if (v4 !== null) return v4;
  if (to - from > 45) return null;
  const t = from === 0 && to === s.length ? s : s.slice(from, to);
  return t.indexOf(':') !== -1 && t.indexOf('%') === -1 && isIPv6(t) ? t : null;
}

/** IPv4 or IPv6 literal accepted by PostgreSQL's inet (no zone index). */
export function isIP(s: string): boolean {
  return ipValue(s) !== null;
}

/** An inet value's text: an IPv4 address's bits (ipv4Bits) as a dotted quad, text as it is. */
export function ipText(v: number | string): string {
  return typeof v === 'number' ? `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}` : v;
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
