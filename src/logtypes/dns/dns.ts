/**
 * DNS queries, from the seed's resolver lines and BIND 9's query log, into one table:
 *   seed: `TS client IP query: DOMAIN IN QTYPE FLAGS (SERVER_IP) RCODE`
 *   BIND: `[queries: info: ]client [@0x…] IP#PORT [(NAME)]: [view NAME: ]query: DOMAIN IN QTYPE FLAGS (SERVER_IP)`
 * in any envelope (BIND's own stamp, syslog's `named[pid]:`, an ISO stamp). BIND's query log has
 * no response code, so response_code is null for it. Domains are stored lower-case without the
 * trailing dot, so an IOC lookup is one exact match; IPv6 clients and servers are kept as such.
 */
import { ipValue, MAX_PORT, parseUint } from '../fields.js';
import type { Envelope } from '../envelope/types.js';
import { reject, type LogType, type ParseResult } from '../types.js';
import { dnsInvestigations } from './investigations.js';

const DOMAINS = [
  'google.com', 'github.com', 'evil-domain.com', 'malware-c2.bad', 'suspicious-site.xyz', 'phishing-login.evil',
  'data-exfil.bad', 'microsoft.com', 'amazonaws.com', 'cloudflare.com', 'slack.com', 'zoom.us', 'office365.com',
  'dropbox.com', 'stackoverflow.com', 'npmjs.org', 'ubuntu.com', 'docker.io',
];
const QTYPES = ['A', 'AAAA', 'MX', 'CNAME', 'TXT', 'PTR'];
// NOERROR weighted 3/5 as in the seed.
const RCODES = ['NOERROR', 'NOERROR', 'NOERROR', 'NXDOMAIN', 'SERVFAIL'];

function isUpperWord(s: string): boolean {
  if (s.length === 0 || s.length > 16) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95)) return false;
  }
  return true;
}

const NOT_DNS = reject('unknown_format', 'not "client IP … query: DOMAIN CLASS TYPE … (SERVER)"');

/** Where `client ` starts, after BIND's optional `queries: info: ` (category, severity). */
function clientAt(msg: string): number {
  if (msg.startsWith('client ')) return 0;
  if (!msg.startsWith('queries: ')) return -1;
  const sev = msg.indexOf(': ', 9);
  const at = sev > 9 && sev < 20 ? sev + 2 : 9;
  return msg.startsWith('client ', at) ? at : -1;
}

function parse(line: string, env: Envelope): ParseResult {
  let msg = line.slice(env.msgStart);
  // Runs of spaces separate like one; the common single-spaced line is scanned as it is.
  if (msg.indexOf('  ') !== -1) msg = msg.split(' ').filter((t) => t.length > 0).join(' ');
  const at = clientAt(msg);
  if (at < 0) return NOT_DNS;
  let pos = at + 7;
  if (msg.charCodeAt(pos) === 64 /* @ */) {
    // BIND 9.11+: the client object's address, `@0x7f8b4c0a1b70`.
    const sp = msg.indexOf(' ', pos);
    if (sp < 0) return NOT_DNS;
    pos = sp + 1;
  }
  let clientEnd = msg.indexOf(' ', pos);
  if (clientEnd < 0) return NOT_DNS;
  let client = msg.slice(pos, msg.charCodeAt(clientEnd - 1) === 58 ? clientEnd - 1 : clientEnd);
  pos = clientEnd + 1;
  // BIND 9.10+: ` (NAME):` after the client.
  if (msg.charCodeAt(pos) === 40 /* ( */) {
    const close = msg.indexOf('): ', pos);
    if (close < 0) return NOT_DNS;
    pos = close + 3;
  }
  let view: string | null = null;
  if (msg.startsWith('view ', pos)) {
    const colon = msg.indexOf(': ', pos + 5);
    if (colon < 0) return NOT_DNS;
    view = msg.slice(pos + 5, colon);
    pos = colon + 2;
  }
  if (!msg.startsWith('query: ', pos)) return NOT_DNS;
  const domainStart = pos + 7;

  let clientPort: number | null = null;
  const hash = client.lastIndexOf('#');
  if (hash >= 0) {
    clientPort = parseUint(client.slice(hash + 1), MAX_PORT);
    if (clientPort < 0) return reject('bad_number', `client port "${client.slice(hash + 1, hash + 20)}" is not a port`);
    client = client.slice(0, hash);
  }
  const clientIp = ipValue(client);
  if (clientIp === null) return reject('bad_ip', `client "${client.slice(0, 60)}" is not an IP address`);

  // DOMAIN CLASS TYPE [FLAGS…] (SERVER) [RCODE], found by offsets rather than by splitting.
  const domainEnd = msg.indexOf(' ', domainStart);
  const classEnd = domainEnd < 0 ? -1 : msg.indexOf(' ', domainEnd + 1);
  const typeEnd = classEnd < 0 ? -1 : msg.indexOf(' ', classEnd + 1);
  if (typeEnd < 0) return NOT_DNS;
  const lastStart = msg.lastIndexOf(' ') + 1;
  let serverStart = lastStart;
  let rcode: string | null = null;
  if (msg.charCodeAt(lastStart) !== 40) {
    // The seed's resolver adds the response code after the server; BIND's query log has none.
    rcode = msg.slice(lastStart);
    serverStart = msg.lastIndexOf(' ', lastStart - 2) + 1;
    if (!isUpperWord(rcode)) return reject('missing_field', `response code "${rcode.slice(0, 30)}" is missing or malformed`);
  }
  if (serverStart <= typeEnd) return NOT_DNS;
  const serverToken = msg.slice(serverStart, rcode === null ? msg.length : lastStart - 1);
  if (serverToken.length < 3 || serverToken.charCodeAt(0) !== 40 || serverToken.charCodeAt(serverToken.length - 1) !== 41) {
    return reject('missing_field', 'no "(SERVER_IP)" after the query');
  }
  const server = serverToken.slice(1, -1);
  const serverIp = ipValue(server);
  if (serverIp === null) return reject('bad_ip', `server "${server.slice(0, 60)}" is not an IP address`);

  let domain = msg.slice(domainStart, domainEnd).toLowerCase();
  if (domain.length > 1 && domain.endsWith('.')) domain = domain.slice(0, -1);
  if (domain.length === 0 || domain.length > 253) return reject('missing_field', 'empty or over-long query domain');
  const qclass = msg.slice(domainEnd + 1, classEnd);
  const qtype = msg.slice(classEnd + 1, typeEnd);
  if (!isUpperWord(qclass) || !isUpperWord(qtype)) return reject('unknown_format', `bad class/type "${qclass} ${qtype}"`);
  const flags = serverStart === typeEnd + 1 ? null : msg.slice(typeEnd + 1, serverStart - 1);

  return {
    ok: true,
    epochMs: env.epochMs,
    values: [env.ts, clientIp, clientPort, domain, qclass, qtype, flags, serverIp, rcode, view, env.host],
  };
}

export const dns: LogType = {
  name: 'dns',
  table: 'dns_logs',
  description: "DNS queries: the seed's resolver lines and BIND 9's query log.",
  columns: [
    { name: 'ts', type: 'timestamptz', nullable: false, doc: 'event time (UTC)' },
    { name: 'client_ip', type: 'inet', nullable: false, doc: 'querying client' },
    { name: 'client_port', type: 'integer', nullable: true, doc: "BIND's `#port`, when logged" },
    { name: 'query_domain', type: 'text', nullable: false, doc: 'lower-case, no trailing dot' },
    { name: 'query_class', type: 'text', nullable: false, doc: 'usually IN' },
    { name: 'query_type', type: 'text', nullable: false, doc: 'A, AAAA, MX, CNAME, TXT, PTR, …' },
    { name: 'flags', type: 'text', nullable: true, doc: 'query flags such as `+` or `+E(0)K`' },
    { name: 'server_ip', type: 'inet', nullable: false, doc: 'server address the query arrived on / resolver that answered' },
    { name: 'response_code', type: 'text', nullable: true, doc: "NOERROR, NXDOMAIN, SERVFAIL, …; null for BIND's query log, which does not carry it" },
    { name: 'view', type: 'text', nullable: true, doc: "BIND's `view NAME:`, when logged" },
    { name: 'hostname', type: 'text', nullable: true, doc: 'reporting host, from the syslog envelope' },
  ],
  indexes: [
    {
      name: 'domain_ts', on: 'hashtextextended(query_domain, 0), ts',
      why: 'Q2A threat hunting: queries for one IOC domain, newest first, a page at a time; on a 64-bit hash of the domain (28 bytes a row where the text took 38), so a query names both: hashtextextended(query_domain, 0) = hashtextextended($1, 0) AND query_domain = $1',
    },
  ],
  clusterBy: { on: 'hashtextextended(query_domain, 0), ts', why: 'Q2A: one domain\'s queries, newest first, on a few pages' },
  rollups: [
    {
      name: 'domains_hourly', grain: 'hour', keys: ['query_domain'], firstLast: true,
      why: 'Q2B a list of IOC domains: queries, first and last seen per domain per hour',
    },
    {
      name: 'domain_clients_daily', grain: 'day', keys: ['query_domain', 'client_ip'], presence: true,
      why: 'Q2B a list of IOC domains: distinct clients, exact, from the (domain, client) pairs seen each day',
    },
  ],
  programs: ['named'],
  recognise: (line, env) => line.startsWith('client ', env.msgStart) || line.startsWith('queries: ', env.msgStart),
  parse,
  investigations: dnsInvestigations,
  sampleWeight: 0.3,
  sampledByDefault: true,
  generate(rng, ts, pools) {
    return (
      `${ts} client ${rng.pick(pools.internalIps)} query: ${rng.pick(DOMAINS)} IN ${rng.pick(QTYPES)} + ` +
      `(${rng.pick(pools.dnsServers)}) ${rng.pick(RCODES)}`
    );
  },
  examples: [
    '2024-01-15T10:23:45.123Z client 192.168.1.100 query: evil-domain.com IN A + (10.1.2.3) NXDOMAIN',
    '2024-01-15T10:23:45.123Z client 192.168.1.5#53311 query: GitHub.com. IN AAAA +E(0)K (10.1.2.3) NOERROR',
    '2024-01-15T10:23:45.123+01:00 client 2001:db8::5 query: malware-c2.bad IN TXT (2001:db8::53) SERVFAIL',
    '15-Jan-2024 10:23:45.123 queries: info: client @0x7f8b4c0a1b70 192.168.1.100#53311 (example.com): query: example.com IN A +E(0)K (10.0.0.53)',
    'Jan 15 10:23:45 ns1 named[812]: client @0x7f2a4c012345 2001:db8::7#40001 (Example.ORG): view internal: query: Example.ORG IN AAAA +ED (2001:db8::53)',
  ],
};
