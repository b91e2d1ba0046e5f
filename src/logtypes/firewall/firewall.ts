/**
 * Firewall connection events, from two message formats into one table: the seed's pipe-separated
 * key=value lines (keyvalue.ts) and netfilter LOG lines from iptables, nftables and UFW, as the
 * kernel writes them to syslog (netfilter.ts).
 */
import type { Rng } from '../../core/rng.js';
import type { SharedPools } from '../samples.js';
import type { LogType } from '../types.js';
import { COLUMNS } from './columns.js';
import { parseKeyValue } from './keyvalue.js';
import { netfilterStart, parseNetfilter } from './netfilter.js';
import { firewallInvestigations } from './investigations.js';

const ACTIONS = ['accept', 'drop', 'reject'];
const PROTOCOLS = ['TCP', 'UDP', 'ICMP'];
const DST_PORTS = [22, 53, 80, 443, 8080, 8443, 3389, 3306, 5432, 25, 110, 993, 995];
const RULES = ['web_access', 'dns_allow', 'ssh_admin', 'block_malware', 'default_drop', 'vpn_access', 'internal_only'];

const PIPE = 124;

export const firewall: LogType = {
  name: 'firewall',
  table: 'firewall_logs',
  description: 'Firewall connection events: the seed\'s key=value lines and netfilter (iptables, nftables, UFW) LOG lines.',
  columns: COLUMNS,
  indexes: [
    {
      name: 'src_hour', on: "src_ip, date_trunc('hour', ts AT TIME ZONE 'UTC')",
      why: "Q1 incident response: one source IP in a window, by the hour (deduplicated: ~7 bytes a row where (src_ip, ts) took 42; exact, where (src_ip) with the ts BRIN rechecked whole pages)",
    },
    {
      name: 'dport', on: 'dst_port',
      why: 'Q6 lateral movement for a port that is not watched (watched ports are answered by the port_pairs rollups); deduplicated, ~6 bytes a row',
    },
  ],
  clusterBy: { on: 'src_ip, ts', why: 'Q1: one source IP\'s events of an hour on a few pages' },
  rollups: [
    { name: 'sources_daily', grain: 'day', keys: ['src_ip'], why: 'Q5 top talkers: events per source IP per day' },
    {
      name: 'port_pairs', grain: 'all', keys: ['dst_port', 'src_ip', 'dst_ip'], where: { column: 'dst_port', values: 'watchedPorts' },
      rankedBy: 'dst_port, events DESC, src_ip, dst_ip',
      why: 'Q6 lateral movement over everything: connections to a watched port per source and destination, top N read off an index',
    },
  ],
  programs: ['kernel'],
  recognise: (line, env) => env.delim === PIPE || netfilterStart(line, env.msgStart) !== -1,
  parse: (line, env) => (env.delim === PIPE ? parseKeyValue(line, env) : parseNetfilter(line, env)),
  investigations: firewallInvestigations,
  sampleWeight: 0.5,
  sampledByDefault: true,
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
    'Jan 15 10:23:45 gw kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.7 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=54321 DF PROTO=TCP SPT=52144 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0',
    '2024-01-15T10:23:45.123456+01:00 fw01 kernel: IPTABLES-DROP: IN=eth1 OUT= SRC=198.51.100.4 DST=192.0.2.1 LEN=40 TOS=0x00 PREC=0x00 TTL=244 ID=1 PROTO=UDP SPT=5353 DPT=53 LEN=20',
  ],
};
