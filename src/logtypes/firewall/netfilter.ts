/**
 * netfilter LOG lines as the kernel writes them for iptables, nftables and UFW:
 *   [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=… SRC=203.0.113.7 DST=192.0.2.10 LEN=60 … PROTO=TCP SPT=52144 DPT=22 … SYN URGP=0
 *   IPTABLES-DROP: IN=eth0 OUT= … PROTO=UDP SPT=5353 DPT=53 LEN=40
 *   nft-drop IN=eth0 OUT= … SRC=2001:db8::1 DST=2001:db8::2 … PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=1
 * The log prefix (whatever precedes IN=) is the rule, and names the action: a prefix saying
 * REJECT is `reject`; BLOCK, DROP or DENY is `drop`; ALLOW, ACCEPT or PASS is `accept`; any other
 * prefix is kept as the action as logged, and no prefix is `log` (the LOG target's own word).
 * The first LEN= (the IP packet's length) is bytes_sent: one line is one packet, and its length is
 * the bytes that event carried. Every other key, and the bare flags (DF, SYN…), go to extra; a key
 * the protocol's header repeats (UDP's LEN, ICMP's ID) is kept under PROTO_KEY (UDP_LEN, ICMP_ID).
 */
import { ipValue, MAX_PORT, parseUint } from '../fields.js';
import type { Envelope } from '../envelope/types.js';
import { reject, type ParseResult } from '../types.js';
import { ACTION, BYTES, DST, DST_PORT, EXTRA, HOST, PROTO, RULE, SRC, SRC_PORT, newValues } from './columns.js';

/** Offset of the `IN=` that starts netfilter's fields in the message, or -1. */
export function netfilterStart(line: string, from: number): number {
  for (let at = line.indexOf('IN=', from); at !== -1; at = line.indexOf('IN=', at + 3)) {
    const before = at === from ? 32 : line.charCodeAt(at - 1);
    // At a word boundary (a prefix may end in ':' or ']' with no space), followed by OUT= and SRC=.
    if ((before === 32 || before === 58 || before === 93) && line.indexOf(' OUT=', at) !== -1) {
      return line.indexOf(' SRC=', at) !== -1 ? at : -1;
    }
  }
  return -1;
}

function actionOf(prefix: string): string {
  if (prefix.length === 0) return 'log';
  const p = prefix.toUpperCase();
  if (p.includes('REJECT')) return 'reject';
  if (p.includes('DROP') || p.includes('BLOCK') || p.includes('DENY') || p.includes('DENIED')) return 'drop';
  if (p.includes('ACCEPT') || p.includes('ALLOW') || p.includes('PASS')) return 'accept';
  return prefix;
}

/** The prefix between the kernel's `[seconds]` stamp and IN=, without brackets or a final colon. */
function prefixOf(line: string, from: number, inAt: number): string {
  let a = from;
  if (line.charCodeAt(a) === 91 /* [ */) {
    // [ 12345.678901] : uptime, space-padded.
    const close = line.indexOf(']', a);
    let uptime = close > a + 1;
    for (let i = a + 1; uptime && i < close; i++) {
      const c = line.charCodeAt(i);
      if (!(c === 32 || c === 46 || (c >= 48 && c <= 57))) uptime = false;
    }
    if (uptime) a = close + 1;
  }
  let p = line.slice(a, inAt).trim();
  if (p.endsWith(':')) p = p.slice(0, -1).trimEnd();
  if (p.startsWith('[') && p.endsWith(']')) p = p.slice(1, -1).trim();
  return p;
}

export function parseNetfilter(line: string, env: Envelope): ParseResult {
  const inAt = netfilterStart(line, env.msgStart);
  if (inAt < 0) return reject('unknown_format', 'no netfilter fields (IN= … SRC=)');
  const values = newValues(env);
  const prefix = prefixOf(line, env.msgStart, inAt);
  values[ACTION] = actionOf(prefix);
  values[RULE] = prefix.length ? prefix : null;
  const extra: Record<string, string> = {};
  let flags = '';
  let pos = inAt;
  while (pos < line.length) {
    let end = line.indexOf(' ', pos);
    if (end < 0) end = line.length;
    if (end > pos) {
      const eq = line.indexOf('=', pos);
      if (eq < 0 || eq > end) {
        flags += (flags ? ' ' : '') + line.slice(pos, end);
      } else {
        const key = line.slice(pos, eq);
        const value = line.slice(eq + 1, end);
        switch (key) {
          case 'SRC':
          case 'DST': {
            const col = key === 'SRC' ? SRC : DST;
            if (values[col] !== null) return reject('unknown_format', `duplicate key "${key}"`);
            const ip = ipValue(value);
            if (ip === null) return reject('bad_ip', `${key}="${value.slice(0, 60)}" is not an IP address`);
            values[col] = ip;
            break;
          }
          case 'SPT':
          case 'DPT': {
            const port = parseUint(value, MAX_PORT);
            if (port < 0) return reject('bad_number', `${key}="${value.slice(0, 30)}" is not a port (0-65535)`);
            values[key === 'SPT' ? SRC_PORT : DST_PORT] = port;
            break;
          }
          case 'PROTO':
            values[PROTO] = value;
            break;
          case 'LEN':
            // The first LEN is the IP packet's; UDP logs its own after PROTO=.
            if (values[BYTES] === null && values[PROTO] === null) {
              const n = parseUint(value, Number.MAX_SAFE_INTEGER);
              if (n < 0) return reject('bad_number', `LEN="${value.slice(0, 30)}" is not a length`);
              values[BYTES] = n;
            } else {
              extra[`${values[PROTO] ?? 'IP'}_LEN`] = value;
            }
            break;
          default:
            extra[key in extra ? `${values[PROTO] ?? 'IP'}_${key}` : key] = value;
        }
      }
    }
    pos = end + 1;
  }
  if (values[SRC] === null) return reject('missing_field', 'no SRC=');
  if (values[DST] === null) return reject('missing_field', 'no DST=');
  if (flags) extra.flags = flags;
  values[EXTRA] = extra;
  values[HOST] = env.host;
  return { ok: true, epochMs: env.epochMs, values };
}
