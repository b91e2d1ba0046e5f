/**
 * The seed's firewall message: `action=accept|src=IP|dst=IP|proto=TCP|src_port=N|dst_port=N|
 * bytes_sent=N|rule=NAME` after `TS|`. Keys may come in any order, be missing or be new; unknown
 * keys are kept in `extra`. Required: action, src, dst (without them the event is not a
 * connection an analyst can use); a repeated key is unknown_format (which value would be evidence?).
 */
import { ipValue, MAX_PORT, MAX_SAFE, parseUintAt } from '../fields.js';
import type { Envelope } from '../envelope/types.js';
import { reject, type ParseResult } from '../types.js';
import { ACTION, BYTES, DST, DST_PORT, EXTRA, HOST, PROTO, RULE, SRC, SRC_PORT, newValues } from './columns.js';

const KEYS = ['action', 'src', 'dst', 'proto', 'src_port', 'dst_port', 'bytes_sent', 'rule'];
const KEY_COLUMNS = [ACTION, SRC, DST, PROTO, SRC_PORT, DST_PORT, BYTES, RULE];

/** Column of the key `line[pos, eq)`, compared in place (no substring to build and hash), or -1. */
function knownColumn(line: string, pos: number, eq: number): number {
  const len = eq - pos;
  for (let k = 0; k < KEYS.length; k++) {
    const key = KEYS[k];
    if (key.length !== len) continue;
    let i = 0;
    while (i < len && key.charCodeAt(i) === line.charCodeAt(pos + i)) i++;
    if (i === len) return KEY_COLUMNS[k];
  }
  return -1;
}

export function parseKeyValue(line: string, env: Envelope): ParseResult {
  const values = newValues(env);
  let extra: Record<string, string> | null = null;
  let pos = env.msgStart;
  while (pos <= line.length) {
    let end = line.indexOf('|', pos);
    if (end < 0) end = line.length;
    if (end > pos) {
      const eq = line.indexOf('=', pos);
      if (eq < 0 || eq >= end || eq === pos) return reject('unknown_format', `field "${line.slice(pos, Math.min(end, pos + 40))}" is not key=value`);
      const col = knownColumn(line, pos, eq);
      if (col < 0) {
        const key = line.slice(pos, eq);
        extra ??= {};
        if (key in extra) return reject('unknown_format', `duplicate key "${key}"`);
        extra[key] = line.slice(eq + 1, end);
      } else if (values[col] !== null) {
        return reject('unknown_format', `duplicate key "${line.slice(pos, eq)}"`);
      } else if (end > eq + 1) {
        // Numbers and IPv4 addresses are read in place: no substring for them.
        switch (col) {
          case SRC:
          case DST: {
            const ip = ipValue(line, eq + 1, end);
            if (ip === null) return reject('bad_ip', `${line.slice(pos, eq)}="${line.slice(eq + 1, Math.min(end, eq + 61))}" is not an IP address`);
            values[col] = ip;
            break;
          }
          case SRC_PORT:
          case DST_PORT: {
            const port = parseUintAt(line, eq + 1, end, MAX_PORT);
            if (port < 0) return reject('bad_number', `${line.slice(pos, eq)}="${line.slice(eq + 1, Math.min(end, eq + 31))}" is not a port (0-65535)`);
            values[col] = port;
            break;
          }
          case BYTES: {
            const n = parseUintAt(line, eq + 1, end, MAX_SAFE);
            if (n < 0) return reject('bad_number', `bytes_sent="${line.slice(eq + 1, Math.min(end, eq + 31))}" is not a byte count`);
            values[col] = n;
            break;
          }
          default:
            values[col] = line.slice(eq + 1, end);
        }
      }
    }
    pos = end + 1;
  }
  if (values[ACTION] === null) return reject('missing_field', 'no action');
  if (values[SRC] === null) return reject('missing_field', 'no src');
  if (values[DST] === null) return reject('missing_field', 'no dst');
  values[EXTRA] = extra;
  values[HOST] = env.host;
  return { ok: true, epochMs: env.epochMs, values };
}
