/**
 * Web proxy requests from Squid's native access.log (`logformat squid`):
 *   `TIME ELAPSED CLIENT RESULT/STATUS BYTES METHOD URL USER HIERARCHY/PEER TYPE`
 *   `1705314225.123    245 192.168.1.50 TCP_MISS/200 5123 GET http://example.com/path - HIER_DIRECT/93.184.216.34 text/html`
 * as Squid writes it, or forwarded by syslog (`squid[pid]: 1705314225.123 …`). Fields are
 * separated by runs of spaces (Squid pads ELAPSED). The URL's host is kept apart, lower-case,
 * as `domain`, so "who fetched this domain" is one exact match; `-` is null.
 */
import { ipValue, MAX_INT4, MAX_SAFE, parseUint } from '../fields.js';
import type { Envelope } from '../envelope/types.js';
import { reject, type Column, type LogType, type ParseResult, type PgType } from '../types.js';
import { proxyInvestigations } from './investigations.js';
import { readSquidStamp, squidEnvelope } from './squid-stamp.js';

const FIELDS = 9; // after the stamp
const WORD = /^[A-Za-z_-]{1,32}$/;

/** The host of a URL as Squid logs it (`scheme://[user@]host[:port]/…`, or `host:port` for CONNECT), lower-case; null if it has none. */
export function hostOf(url: string): string | null {
  let rest = url;
  const scheme = url.indexOf('://');
  if (scheme > 0) rest = url.slice(scheme + 3);
  else if (!/^[A-Za-z0-9.[\]:-]+:\d+$/.test(url)) return null; // neither a URL with a host nor CONNECT's host:port
  const end = rest.search(/[/?#]/);
  let authority = end < 0 ? rest : rest.slice(0, end);
  authority = authority.slice(authority.lastIndexOf('@') + 1);
  let host = authority.startsWith('[') ? authority.slice(1, authority.indexOf(']')) : authority.replace(/:\d*$/, '');
  host = host.toLowerCase().replace(/\.$/, '');
  return host.length > 0 && host.length <= 253 ? host : null;
}

const dash = (s: string) => (s === '-' ? null : s);
const required = (name: string, type: PgType, doc: string): Column => ({ name, type, nullable: false, doc });
const optional = (name: string, type: PgType, doc: string): Column => ({ name, type, nullable: true, doc });

function parse(line: string, env: Envelope): ParseResult {
  let ms = env.epochMs;
  let ts = env.ts;
  let from = env.msgStart;
  if (env.format !== 'squid') {
    // In a syslog envelope: the message starts with Squid's own stamp, and that is the time.
    const s = readSquidStamp(line, from);
    if (s === null) return reject('unknown_format', 'a squid message without its timestamp');
    if ('ok' in s) return s;
    ms = s.ms;
    ts = new Date(ms).toISOString();
    from = s.end + 1;
  }
  const f = line.slice(from).split(' ').filter((t) => t.length > 0);
  if (f.length < FIELDS) return reject('missing_field', `${f.length + 1} of Squid's 10 access.log fields`);
  if (f.length > FIELDS) return reject('unknown_format', `more than Squid's 10 access.log fields (a custom logformat?): "${f.slice(FIELDS).join(' ').slice(0, 40)}"`);
  const [elapsed, client, result, size, method, url, user, hier, type] = f;

  const duration = parseUint(elapsed, MAX_INT4);
  if (duration < 0) return reject('bad_number', `elapsed time "${elapsed.slice(0, 20)}" is not a number of milliseconds`);
  const clientIp = ipValue(client);
  if (clientIp === null) return reject('bad_ip', `client "${client.slice(0, 60)}" is not an IP address`);
  const slash = result.lastIndexOf('/');
  if (slash < 1) return reject('unknown_format', `"${result.slice(0, 40)}" is not RESULT/STATUS`);
  const cacheResult = result.slice(0, slash);
  if (!WORD.test(cacheResult)) return reject('unknown_format', `result code "${cacheResult.slice(0, 40)}"`);
  const status = parseUint(result.slice(slash + 1), 999);
  if (status < 0) return reject('bad_number', `HTTP status "${result.slice(slash + 1, slash + 20)}" is not 0–999`);
  const bytes = parseUint(size, MAX_SAFE);
  if (bytes < 0) return reject('bad_number', `size "${size.slice(0, 20)}" is not a number of bytes`);
  if (!WORD.test(method)) return reject('unknown_format', `method "${method.slice(0, 40)}"`);
  const peerAt = hier.indexOf('/');
  if (peerAt < 1) return reject('unknown_format', `"${hier.slice(0, 40)}" is not HIERARCHY/PEER`);

  return {
    ok: true,
    epochMs: ms,
    values: [
      ts, clientIp, method, url, hostOf(url), status, cacheResult, bytes, duration, dash(user),
      hier.slice(0, peerAt), dash(hier.slice(peerAt + 1)), dash(type), env.host,
    ],
  };
}

const DOMAINS = [
  'www.google.com', 'github.com', 'evil-domain.com', 'malware-c2.bad', 'login.microsoftonline.com', 'slack.com',
  'registry.npmjs.org', 'phishing-login.evil', 'update.example-cdn.net', 'data-exfil.bad', 'api.dropbox.com', 'ubuntu.com',
];
const RESULTS = ['TCP_MISS/200', 'TCP_MISS/200', 'TCP_MISS/200', 'TCP_HIT/200', 'TCP_MEM_HIT/200', 'TCP_MISS/304', 'TCP_MISS/404', 'TCP_DENIED/403'];
const TYPES = ['text/html', 'application/json', 'image/png', 'application/octet-stream', '-'];
const USERS = ['-', '-', '-', 'alice', 'bob', 'svc-backup'];

export const proxy: LogType = {
  name: 'proxy',
  table: 'proxy_logs',
  description: "Web proxy requests: Squid's native access.log, as Squid writes it or through syslog.",
  columns: [
    required('ts', 'timestamptz', "when the request completed (Squid's own stamp, millisecond precision)"),
    required('client_ip', 'inet', 'client that made the request'),
    required('method', 'text', 'GET, POST, CONNECT, …'),
    required('url', 'text', 'as logged (CONNECT: host:port)'),
    optional('domain', 'text', "the URL's host, lower-case, no port or trailing dot; null when the URL has none"),
    required('http_status', 'integer', 'status sent to the client (0: none, e.g. aborted)'),
    required('cache_result', 'text', 'TCP_MISS, TCP_HIT, TCP_DENIED, TCP_TUNNEL, …'),
    required('bytes', 'bigint', 'bytes sent to the client'),
    required('duration_ms', 'integer', 'milliseconds the request took'),
    optional('user_name', 'text', 'authenticated user, when there was one'),
    required('hierarchy', 'text', 'how it was fetched: HIER_DIRECT, HIER_NONE, FIRSTUP_PARENT, …'),
    optional('peer', 'text', 'server or parent proxy it was fetched from (address or name)'),
    optional('content_type', 'text', 'Content-Type of the reply'),
    optional('hostname', 'text', 'reporting host, from the syslog envelope'),
  ],
  indexes: [
    { name: 'client_ts', on: 'client_ip, ts', why: 'Q7 everything one client fetched in a window, newest first, a page at a time' },
    {
      name: 'domain_ts', on: 'hashtextextended(domain, 0), ts', where: 'domain IS NOT NULL',
      why: 'Q8 who fetched this domain: on a 64-bit hash of the domain (smaller than the text), so the query names both, as for DNS',
    },
  ],
  clusterBy: { on: 'client_ip, ts', why: 'Q7: one client\'s requests, newest first, on a few pages' },
  envelopes: [squidEnvelope],
  programs: ['squid'],
  recognise: (line, env) => env.format === 'squid' || readSquidStamp(line, env.msgStart) !== null,
  parse,
  investigations: proxyInvestigations,
  sampleWeight: 0.2,
  sampledByDefault: false,
  generate(rng, ts, pools) {
    const domain = rng.pick(DOMAINS);
    const connect = rng.next() < 0.3;
    const result = connect ? 'TCP_TUNNEL/200' : rng.pick(RESULTS);
    const denied = result.startsWith('TCP_DENIED');
    const hier = denied || result.includes('HIT') ? 'HIER_NONE/-' : `HIER_DIRECT/${rng.pick(pools.externalIps)}`;
    const url = connect ? `${domain}:443` : `http://${domain}/${rng.pick(['', 'index.html', 'api/v1/items', 'download/setup.exe', 'static/app.js'])}`;
    const ms = Date.parse(ts);
    return (
      `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')} ${String(rng.int(0, 5_000)).padStart(6)} ${rng.pick(pools.internalIps)} ${result} ` +
      `${rng.int(200, 500_000)} ${connect ? 'CONNECT' : rng.pick(['GET', 'GET', 'GET', 'POST'])} ${url} ${rng.pick(USERS)} ${hier} ${connect ? '-' : rng.pick(TYPES)}`
    );
  },
  examples: [
    '1705314225.123    245 192.168.1.50 TCP_MISS/200 5123 GET http://example.com/path - HIER_DIRECT/93.184.216.34 text/html',
    '1705314226.456   1532 192.168.1.51 TCP_TUNNEL/200 48211 CONNECT www.github.com:443 - HIER_DIRECT/140.82.121.4 -',
    '1705314227.001      0 10.0.0.7 TCP_DENIED/403 3910 GET http://evil-domain.com/payload.exe alice HIER_NONE/- text/html',
    '1705314228.250     12 2001:db8::10 TCP_MEM_HIT/200 1024 GET https://[2001:db8::1]:8443/api?x=1 - HIER_NONE/- application/json',
    'Jan 15 10:23:45 proxy1 squid[1234]: 1705314225.123    245 192.168.1.50 TCP_MISS/200 5123 GET http://example.com/path - HIER_DIRECT/93.184.216.34 text/html',
    '1705314231.777    310 192.168.1.60 TCP_MISS/201 880 POST https://api.dropbox.com/2/files/upload svc-backup FIRSTUP_PARENT/10.10.0.2 application/json',
  ],
  cases: [
    {
      line: '1705314225.123    245 192.168.1.50 TCP_MISS/200 5123 GET http://example.com/path - HIER_DIRECT/93.184.216.34 text/html',
      values: {
        ts: '2024-01-15T10:23:45.123Z', client_ip: '192.168.1.50', method: 'GET', url: 'http://example.com/path', domain: 'example.com', http_status: 200,
        cache_result: 'TCP_MISS', bytes: 5123, duration_ms: 245, user_name: null, hierarchy: 'HIER_DIRECT', peer: '93.184.216.34', content_type: 'text/html', hostname: null,
      },
    },
    { line: '1705314226.456   1532 192.168.1.51 TCP_TUNNEL/200 48211 CONNECT www.GitHub.com:443 - HIER_DIRECT/140.82.121.4 -', values: { domain: 'www.github.com', content_type: null, method: 'CONNECT' } },
    { line: '1705314229.000 5 10.0.0.8 NONE_NONE/000 0 NONE error:invalid-request - HIER_NONE/- -', values: { domain: null, http_status: 0, cache_result: 'NONE_NONE', peer: null } },
    { line: '1705314230.500 7 10.0.0.9 TCP_MISS/200 10 GET http://u:p@Example.COM.:8080/x?y alice FIRSTUP_PARENT/parent.proxy text/plain', values: { domain: 'example.com', user_name: 'alice', peer: 'parent.proxy' } },
    {
      // Through syslog, the time is Squid's own, not syslog's.
      line: 'Jan 15 10:30:00 proxy1 squid[1234]: 1705314225.123    245 192.168.1.50 TCP_MISS/200 5123 GET http://example.com/path - HIER_DIRECT/93.184.216.34 text/html',
      values: { ts: '2024-01-15T10:23:45.123Z', hostname: 'proxy1' },
    },
  ],
  rejects: [
    { line: '1705314225.12 245 192.168.1.50 TCP_MISS/200 5123 GET http://example.com/ - HIER_DIRECT/1.2.3.4 text/html', reason: 'bad_timestamp' },
    { line: '9999999999.123 245 192.168.1.50 TCP_MISS/200 5123 GET http://example.com/ - HIER_DIRECT/1.2.3.4 text/html', reason: 'bad_timestamp' },
    { line: '1705314225.123 245 192.168.1.500 TCP_MISS/200 5123 GET http://example.com/ - HIER_DIRECT/1.2.3.4 text/html', reason: 'bad_ip' },
    { line: '1705314225.123 245 192.168.1.5 TCP_MISS/2000 5123 GET http://example.com/ - HIER_DIRECT/1.2.3.4 text/html', reason: 'bad_number' },
    { line: '1705314225.123 245 192.168.1.5 TCP_MISS/200 -5 GET http://example.com/ - HIER_DIRECT/1.2.3.4 text/html', reason: 'bad_number' },
    { line: '1705314225.123 abc 192.168.1.5 TCP_MISS/200 5 GET http://example.com/ - HIER_DIRECT/1.2.3.4 text/html', reason: 'bad_number' },
    { line: '1705314225.123 245 192.168.1.5 TCP_MISS/200 5123 GET http://example.com/ - HIER_DIRECT/1.2.3.4', reason: 'missing_field' },
    { line: '1705314225.123 245 192.168.1.5 TCP_MISS/200 5123 GET http://example.com/ - HIER_DIRECT/1.2.3.4 text/html extra', reason: 'unknown_format' },
    { line: '1705314225.123 245 192.168.1.5 TCP_MISS 5123 GET http://example.com/ - HIER_DIRECT/1.2.3.4 text/html', reason: 'unknown_format' },
    { line: 'Jan 15 10:23:45 proxy1 squid[1234]: Starting Squid Cache version 5.7 for x86_64-pc-linux-gnu...', reason: 'unsupported_message' },
  ],
};
