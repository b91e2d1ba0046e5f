/**
 * DNS (BIND query log style): `TS client IP query: DOMAIN IN QTYPE FLAGS (SERVER_IP) RCODE`,
 * e.g. `… client 192.168.1.5 query: evil-domain.com IN A + (10.1.2.3) NXDOMAIN`.
 * The client may carry BIND's `#port`; FLAGS may be several tokens or none. Domains are stored
 * lower-case without the trailing dot, so an IOC lookup is one exact match.
 */
import { isIP, MAX_PORT, parseTimestamp, parseUint, startsWithDate, timestampEnd } from '../fields.js';
import { reject, type LogType, type ParseResult } from '../types.js';

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

const NOT_DNS = reject('unknown_format', 'not "TS client IP query: …"');

function parse(raw: string): ParseResult {
  // Runs of spaces separate like one; the common single-spaced line is scanned as it is.
  const line = raw.indexOf('  ') === -1 ? raw : raw.split(' ').filter((t) => t.length > 0).join(' ');
  const tsEnd = timestampEnd(line, 32 /* ' ' */);
  if (tsEnd < 0) return reject('bad_timestamp', 'no timestamp before the first space');
  const ts = line.slice(0, tsEnd);
  const epochMs = parseTimestamp(ts);
  if (Number.isNaN(epochMs)) return reject('bad_timestamp', `bad timestamp "${ts}"`);

  // TS client IP query: DOMAIN CLASS QTYPE [FLAGS…] (SERVER) RCODE, found by offsets rather than
  // by splitting the line into an array of substrings.
  if (!line.startsWith(' client ', tsEnd)) return NOT_DNS;
  const clientEnd = line.indexOf(' ', tsEnd + 8);
  if (clientEnd < 0 || !line.startsWith(' query: ', clientEnd)) return NOT_DNS;
  const domainEnd = line.indexOf(' ', clientEnd + 8);
  const classEnd = domainEnd < 0 ? -1 : line.indexOf(' ', domainEnd + 1);
  const typeEnd = classEnd < 0 ? -1 : line.indexOf(' ', classEnd + 1);
  const rcodeStart = line.lastIndexOf(' ') + 1;
  const serverStart = line.lastIndexOf(' ', rcodeStart - 2) + 1;
  if (typeEnd < 0 || serverStart <= typeEnd) return NOT_DNS;

  let client = line.slice(tsEnd + 8, clientEnd);
  let clientPort: number | null = null;
  const hash = client.indexOf('#');
  if (hash >= 0) {
    clientPort = parseUint(client.slice(hash + 1), MAX_PORT);
    if (clientPort < 0) return reject('bad_number', `client port "${client.slice(hash + 1, hash + 20)}" is not a port`);
    client = client.slice(0, hash);
  }
  if (!isIP(client)) return reject('bad_ip', `client "${client.slice(0, 60)}" is not an IP address`);

  let domain = line.slice(clientEnd + 8, domainEnd).toLowerCase();
  if (domain.length > 1 && domain.endsWith('.')) domain = domain.slice(0, -1);
  if (domain.length === 0 || domain.length > 253) return reject('missing_field', 'empty or over-long query domain');

  const qclass = line.slice(domainEnd + 1, classEnd);
  const qtype = line.slice(classEnd + 1, typeEnd);
  if (!isUpperWord(qclass) || !isUpperWord(qtype)) return reject('unknown_format', `bad class/type "${qclass} ${qtype}"`);

  const serverToken = line.slice(serverStart, rcodeStart - 1);
  if (serverToken.length < 3 || serverToken.charCodeAt(0) !== 40 || serverToken.charCodeAt(serverToken.length - 1) !== 41) {
    return reject('missing_field', 'no "(SERVER_IP)" before the response code');
  }
  const server = serverToken.slice(1, -1);
  if (!isIP(server)) return reject('bad_ip', `server "${server.slice(0, 60)}" is not an IP address`);
  const rcode = line.slice(rcodeStart);
  if (!isUpperWord(rcode)) return reject('missing_field', `response code "${rcode.slice(0, 30)}" is missing or malformed`);
  const flags = serverStart === typeEnd + 1 ? null : line.slice(typeEnd + 1, serverStart - 1);

  return { ok: true, epochMs, values: [ts, client, clientPort, domain, qclass, qtype, flags, server, rcode] };
}

export const dns: LogType = {
  name: 'dns',
  table: 'dns_logs',
  description: 'DNS resolver query log lines (BIND style).',
  columns: [
    { name: 'ts', type: 'timestamptz', nullable: false, doc: 'event time (UTC)' },
    { name: 'client_ip', type: 'inet', nullable: false, doc: 'querying client' },
    { name: 'client_port', type: 'integer', nullable: true, doc: "BIND's `#port`, when logged" },
    { name: 'query_domain', type: 'text', nullable: false, doc: 'lower-case, no trailing dot' },
    { name: 'query_class', type: 'text', nullable: false, doc: 'usually IN' },
    { name: 'query_type', type: 'text', nullable: false, doc: 'A, AAAA, MX, CNAME, TXT, PTR, …' },
    { name: 'flags', type: 'text', nullable: true, doc: 'query flags such as `+` or `+E(0)K`' },
    { name: 'server_ip', type: 'inet', nullable: false, doc: 'resolver that answered' },
    { name: 'response_code', type: 'text', nullable: false, doc: 'NOERROR, NXDOMAIN, SERVFAIL, …' },
  ],
  indexes: [
    { name: 'domain_ts', on: 'query_domain, ts', why: 'Q2 threat hunting: queries for one IOC domain or a list (= ANY), newest first' },
  ],
  recognise: (line) => {
    if (!startsWithDate(line)) return false;
    const sp = timestampEnd(line, 32);
    return sp > 0 && line.startsWith(' client ', sp);
  },
  parse,
  sampleWeight: 0.3,
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
  ],
};
