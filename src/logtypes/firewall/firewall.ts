/**
 * Firewall: `TS|action=accept|src=IP|dst=IP|proto=TCP|src_port=N|dst_port=N|bytes_sent=N|rule=NAME`.
 * Keys may come in any order, be missing or be new; unknown keys are kept in `extra`.
 * Required: action, src, dst (without them the event is not a connection an analyst can use).
 */
import { isIP, MAX_PORT, MAX_SAFE, parseTimestamp, parseUint, startsWithDate, timestampEnd } from '../fields.js';
import { reject, type LogType, type ParseResult, type Value } from '../types.js';
import type { Rng } from '../../generator/rng.js';
import type { SharedPools } from '../../generator/pools.js';

const ACTIONS = ['accept', 'drop', 'reject'];
const PROTOCOLS = ['TCP', 'UDP', 'ICMP'];
const DST_PORTS = [22, 53, 80, 443, 8080, 8443, 3389, 3306, 5432, 25, 110, 993, 995];
const RULES = ['web_access', 'dns_allow', 'ssh_admin', 'block_malware', 'default_drop', 'vpn_access', 'internal_only'];

// Column positions in `values` (0 is the timestamp).
const ACTION = 1, SRC = 2, DST = 3, PROTO = 4, SRC_PORT = 5, DST_PORT = 6, BYTES = 7, RULE = 8, EXTRA = 9;
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

function parse(line: string): ParseResult {
  const tsEnd = timestampEnd(line, 124 /* '|' */);
  if (tsEnd < 0) return reject('bad_timestamp', 'no timestamp before the first "|"');
  const ts = line.slice(0, tsEnd);
  const epochMs = parseTimestamp(ts);
  if (Number.isNaN(epochMs)) return reject('bad_timestamp', `bad timestamp "${ts}"`);

  const values: Value[] = [ts, null, null, null, null, null, null, null, null, null];
  let extra: Record<string, string> | null = null;
  let pos = tsEnd + 1;
  while (pos <= line.length) {
    let end = line.indexOf('|', pos);
    if (end < 0) end = line.length;
    if (end > pos) {
      const eq = line.indexOf('=', pos);
      if (eq < 0 || eq >= end || eq === pos) return reject('unknown_format', `field "${line.slice(pos, Math.min(end, pos + 40))}" is not key=value`);
      const value = line.slice(eq + 1, end);
      const col = knownColumn(line, pos, eq);
      if (col < 0) {
        const key = line.slice(pos, eq);
        extra ??= {};
        if (key in extra) return reject('unknown_format', `duplicate key "${key}"`);
        extra[key] = value;
      } else if (values[col] !== null) {
        return reject('unknown_format', `duplicate key "${line.slice(pos, eq)}"`);
      } else if (value.length > 0) {
        switch (col) {
          case SRC:
          case DST:
            if (!isIP(value)) return reject('bad_ip', `${line.slice(pos, eq)}="${value.slice(0, 60)}" is not an IP address`);
            values[col] = value;
            break;
          case SRC_PORT:
          case DST_PORT: {
            const port = parseUint(value, MAX_PORT);
            if (port < 0) return reject('bad_number', `${line.slice(pos, eq)}="${value.slice(0, 30)}" is not a port (0-65535)`);
            values[col] = port;
            break;
          }
          case BYTES: {
            const n = parseUint(value, MAX_SAFE);
            if (n < 0) return reject('bad_number', `bytes_sent="${value.slice(0, 30)}" is not a byte count`);
            values[col] = n;
            break;
          }
          default:
            values[col] = value;
        }
      }
    }
    pos = end + 1;
  }
  if (values[ACTION] === null) return reject('missing_field', 'no action');
  if (values[SRC] === null) return reject('missing_field', 'no src');
  if (values[DST] === null) return reject('missing_field', 'no dst');
  values[EXTRA] = extra;
  return { ok: true, epochMs, values };
}

export const firewall: LogType = {
  name: 'firewall',
  table: 'firewall_logs',
  description: 'Pipe-separated key=value firewall connection events.',
  columns: [
    { name: 'ts', type: 'timestamptz', nullable: false, doc: 'event time (UTC)' },
    { name: 'action', type: 'text', nullable: false, doc: 'accept / drop / reject, as logged' },
    { name: 'src_ip', type: 'inet', nullable: false, doc: '`src`' },
    { name: 'dst_ip', type: 'inet', nullable: false, doc: '`dst`' },
    { name: 'proto', type: 'text', nullable: true, doc: 'TCP / UDP / ICMP, as logged' },
    { name: 'src_port', type: 'integer', nullable: true, doc: '0–65535' },
    { name: 'dst_port', type: 'integer', nullable: true, doc: '0–65535' },
    { name: 'bytes_sent', type: 'bigint', nullable: true, doc: 'bytes sent' },
    { name: 'rule', type: 'text', nullable: true, doc: 'matching rule name' },
    { name: 'extra', type: 'jsonb', nullable: true, doc: 'keys logpipe does not know, as strings' },
  ],
  indexes: [
    { name: 'src_ts', on: 'src_ip, ts', why: 'Q1 incident response: one source IP in a time window' },
    { name: 'dport_src_dst', on: 'dst_port, src_ip, dst_ip', why: 'Q6 lateral movement: one destination port grouped by source and destination, index-only' },
  ],
  rollupKeys: [{ column: 'src_ip', why: 'Q5 top talkers over everything' }],
  recognise: (line) => startsWithDate(line) && timestampEnd(line, 124) > 0,
  parse,
  sampleWeight: 0.5,
  generate(rng: Rng, ts: string, pools: SharedPools): string {
    return (
      `${ts}|action=${rng.pick(ACTIONS)}|src=${rng.pick(pools.internalIps)}|dst=${rng.pick(pools.externalIps)}` +
      `|proto=${rng.pick(PROTOCOLS)}|src_port=${rng.int(10000, 65535)}|dst_port=${rng.pick(DST_PORTS)}` +
      `|bytes_sent=${rng.int(64, 65535)}|rule=${rng.pick(RULES)}`
    );
  },
  examples: [
    '2024-01-15T10:23:45.123Z|action=accept|src=192.168.1.100|dst=10.0.0.50|proto=TCP|src_port=51234|dst_port=443|bytes_sent=1520|rule=web_access',
    '2024-01-15T10:23:45.123Z|dst_port=3389|src=192.168.1.7|action=drop|dst=10.9.8.7|zone=dmz|rule=default_drop',
    '2024-01-15T10:23:45Z|action=reject|src=2001:db8::1|dst=2001:db8::2|proto=UDP',
  ],
};
