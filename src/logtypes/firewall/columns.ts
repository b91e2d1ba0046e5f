/** The firewall table's columns and their positions in a record's values, shared by both message formats. */
import type { Envelope } from '../envelope/types.js';
import type { Column, Value } from '../types.js';

export const COLUMNS: Column[] = [
  { name: 'ts', type: 'timestamptz', nullable: false, doc: 'event time (UTC)' },
  { name: 'action', type: 'text', nullable: false, doc: 'accept / drop / reject (netfilter: from the log prefix, see below)' },
  { name: 'src_ip', type: 'inet', nullable: false, doc: '`src` / `SRC=`' },
  { name: 'dst_ip', type: 'inet', nullable: false, doc: '`dst` / `DST=`' },
  { name: 'proto', type: 'text', nullable: true, doc: 'TCP / UDP / ICMP, as logged' },
  { name: 'src_port', type: 'integer', nullable: true, doc: '0–65535 (`SPT=`); null for ICMP' },
  { name: 'dst_port', type: 'integer', nullable: true, doc: '0–65535 (`DPT=`); null for ICMP' },
  { name: 'bytes_sent', type: 'bigint', nullable: true, doc: 'bytes of the event: `bytes_sent`, or netfilter\'s `LEN=` (the logged packet\'s IP length)' },
  { name: 'rule', type: 'text', nullable: true, doc: 'matching rule name, or the netfilter log prefix' },
  { name: 'extra', type: 'jsonb', nullable: true, doc: 'keys logpipe does not map to a column, as strings (netfilter: IN, OUT, MAC, TTL, flags…)' },
  { name: 'hostname', type: 'text', nullable: true, doc: 'reporting host, from the syslog envelope' },
];

// Positions in `values` (0 is the timestamp).
export const ACTION = 1, SRC = 2, DST = 3, PROTO = 4, SRC_PORT = 5, DST_PORT = 6, BYTES = 7, RULE = 8, EXTRA = 9, HOST = 10;

export function newValues(env: Envelope): Value[] {
  return [env.ts, null, null, null, null, null, null, null, null, null, null];
}
