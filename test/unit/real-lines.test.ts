/**
 * Lines as real hosts write them, each into the right columns with nothing quarantined: OpenSSH
 * in Debian's auth.log, rsyslog, journald and RFC 5424; BIND 9's query log in its own channel,
 * through syslog and with ISO stamps; netfilter LOG lines from UFW, iptables, nftables and
 * firewalld. Written from the formats' documentation and the programs' sources, one shape each.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOG_TYPES, parseLine } from '../../src/logtypes/registry.js';
import { TimeZone } from '../../src/logtypes/time.js';
import type { ParseContext } from '../../src/logtypes/envelope/types.js';

const CTX: ParseContext = { zone: TimeZone.UTC, year: null, refYear: 2024, refMonth: 3 };

interface Case {
  line: string;
  type: string;
  /** Expected values by column; ts as the instant it denotes. */
  want: Record<string, unknown>;
}

const MAC = 'MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00';

const CASES: Case[] = [
  // ---- auth: OpenSSH sshd ----
  { type: 'auth', line: 'Jan 15 10:23:45 bastion sshd[12345]: Failed password for root from 203.0.113.7 port 52144 ssh2',
    want: { ts: '2024-01-15T10:23:45Z', hostname: 'bastion', pid: 12345, status: 'Failed', auth_method: 'password', username: 'root', invalid_user: false, source_ip: '203.0.113.7', source_port: 52144 } },
  { type: 'auth', line: 'Jan  5 08:01:02 bastion sshd[812]: Accepted publickey for deploy from 198.51.100.20 port 40022 ssh2: ED25519 SHA256:n1CDIhGa0aPIhGUYmXgkA7MM4rEB0pmsDH1qf1H0Y/0',
    want: { ts: '2024-01-05T08:01:02Z', status: 'Accepted', auth_method: 'publickey', username: 'deploy', source_port: 40022 } },
  { type: 'auth', line: 'Mar  3 04:05:06 web1 sshd[2001]: Invalid user admin from 203.0.113.50 port 33210',
    want: { status: 'Invalid', username: 'admin', invalid_user: true, source_ip: '203.0.113.50', source_port: 33210, auth_method: null } },
  { type: 'auth', line: 'Mar  3 04:05:07 web1 sshd[2001]: Failed password for invalid user admin from 203.0.113.50 port 33210 ssh2',
    want: { status: 'Failed', username: 'admin', invalid_user: true } },
  { type: 'auth', line: 'Feb 10 22:00:00 vpn sshd[77]: Accepted keyboard-interactive/pam for alice from 192.0.2.44 port 51000 ssh2',
    want: { auth_method: 'keyboard-interactive/pam', username: 'alice' } },
  { type: 'auth', line: 'Feb 10 22:00:01 vpn sshd[78]: Failed none for invalid user guest from 192.0.2.45 port 51001 ssh2',
    want: { status: 'Failed', auth_method: 'none', username: 'guest', invalid_user: true } },
  { type: 'auth', line: 'Feb 10 22:00:02 vpn sshd[79]: Accepted hostbased for backup from 10.1.1.1 port 600 ssh2: RSA-SHA2-256 SHA256:q8Bq0fJQ2K0',
    want: { auth_method: 'hostbased', username: 'backup', source_ip: '10.1.1.1' } },
  { type: 'auth', line: 'Feb 10 22:00:03 vpn sshd[80]: Failed password for root from 2001:db8::dead:beef port 50222 ssh2',
    want: { source_ip: '2001:db8::dead:beef', source_port: 50222 } },
  { type: 'auth', line: '2024-01-15T10:23:45.123456+01:00 bastion sshd[12345]: Accepted password for bob from 192.0.2.7 port 41234 ssh2',
    want: { ts: '2024-01-15T09:23:45.123Z', hostname: 'bastion', pid: 12345, username: 'bob' } },
  { type: 'auth', line: '2024-01-15T10:23:45+0000 bastion sshd[12345]: Connection closed by authenticating user root 203.0.113.7 port 52144 [preauth]',
    want: { ts: '2024-01-15T10:23:45Z', status: 'Closed', username: 'root', invalid_user: false, source_port: 52144 } },
  { type: 'auth', line: '<38>1 2024-01-15T10:23:45.123Z bastion sshd 4242 - - Accepted keyboard-interactive/pam for alice from 2001:db8::42 port 50022 ssh2',
    want: { hostname: 'bastion', pid: 4242, auth_method: 'keyboard-interactive/pam', source_ip: '2001:db8::42' } },
  { type: 'auth', line: '<38>1 2024-01-15T10:23:45.123Z bastion sshd 4242 ID47 [origin ip="192.0.2.1" software="rsyslogd"][meta sequenceId="7" note="a \\"]\\" b"] Disconnected from invalid user guest 192.0.2.9 port 5052 [preauth]',
    want: { status: 'Disconnected', username: 'guest', invalid_user: true, source_ip: '192.0.2.9', source_port: 5052 } },
  { type: 'auth', line: '<38>1 2024-01-15T10:23:45.123Z - sshd - - - Failed password for root from 192.0.2.8 port 22 ssh2',
    want: { hostname: null, pid: null, status: 'Failed' } },
  { type: 'auth', line: 'Jan 15 10:23:45 bastion sshd-session[12345]: Failed password for root from 203.0.113.7 port 52144 ssh2',
    want: { status: 'Failed', pid: 12345 } },
  { type: 'auth', line: '<86>Jan 15 10:23:45 bastion sshd[1]: Accepted password for carol from 192.0.2.1 port 22 ssh2',
    want: { username: 'carol', hostname: 'bastion' } },
  { type: 'auth', line: '2024-01-15T10:23:45.123Z auth-srv01 sshd[12345]: Accepted password for admin from 192.168.1.10 port 52113 ssh2',
    want: { ts: '2024-01-15T10:23:45.123Z', hostname: 'auth-srv01' } },

  // ---- dns: BIND 9 query log and the seed's resolver lines ----
  { type: 'dns', line: '15-Jan-2024 10:23:45.123 queries: info: client @0x7f8b4c0a1b70 192.168.1.100#53311 (example.com): query: example.com IN A +E(0)K (10.0.0.53)',
    want: { ts: '2024-01-15T10:23:45.123Z', client_ip: '192.168.1.100', client_port: 53311, query_domain: 'example.com', query_class: 'IN', query_type: 'A', flags: '+E(0)K', server_ip: '10.0.0.53', response_code: null, view: null, hostname: null } },
  { type: 'dns', line: '15-Jan-2024 10:23:45.123 client 192.168.1.100#53311 (example.com): query: example.com IN A + (10.0.0.53)',
    want: { client_port: 53311, flags: '+' } },
  { type: 'dns', line: '15-Jan-2024 10:23:45.123 client 192.168.1.100#53311: query: example.com IN MX -E (10.0.0.53)',
    want: { query_type: 'MX', flags: '-E' } },
  { type: 'dns', line: '15-Jan-2024 10:23:45.123 queries: info: client @0x7f8b4c0a2c00 10.0.0.5#1234 (intranet.corp): view internal: query: intranet.corp IN A +E(0)K (10.0.0.53)',
    want: { view: 'internal', query_domain: 'intranet.corp' } },
  { type: 'dns', line: '15-Jan-2024 10:23:45.123 queries: info: client @0x7f8b4c0a2c00 2001:db8::7#40001 (EXAMPLE.org): query: EXAMPLE.org IN AAAA -E(0)DC (2001:db8::53)',
    want: { client_ip: '2001:db8::7', client_port: 40001, query_domain: 'example.org', server_ip: '2001:db8::53', flags: '-E(0)DC' } },
  { type: 'dns', line: 'Jan 15 10:23:45 ns1 named[812]: client @0x7f2a4c012345 192.0.2.10#5353 (www.example.com): query: www.example.com IN A +E(0)K (192.0.2.53)',
    want: { hostname: 'ns1', query_domain: 'www.example.com', client_ip: '192.0.2.10' } },
  { type: 'dns', line: 'Jan 15 10:23:45 ns1 named[812]: queries: info: client @0x7f2a4c012345 192.0.2.10#5353 (www.example.com): view external: query: www.example.com IN CNAME +E(0)K (192.0.2.53)',
    want: { hostname: 'ns1', view: 'external', query_type: 'CNAME' } },
  { type: 'dns', line: '2024-01-15T10:23:45.123Z queries: info: client @0x7f2a4c012345 192.0.2.10#5353 (a.example): query: a.example IN TXT -E(0) (192.0.2.53)',
    want: { ts: '2024-01-15T10:23:45.123Z', query_type: 'TXT', hostname: null } },
  { type: 'dns', line: '<30>1 2024-01-15T10:23:45.123+02:00 ns1 named 812 - - client @0x7f2a4c0a0001 198.51.100.3#4444 (Mail.Example.NET.): query: Mail.Example.NET. IN MX +E(0)K (198.51.100.53)',
    want: { ts: '2024-01-15T08:23:45.123Z', query_domain: 'mail.example.net', hostname: 'ns1' } },
  { type: 'dns', line: '2024-01-15T10:23:45.123Z client 192.168.1.100 query: evil-domain.com IN A + (10.1.2.3) NXDOMAIN',
    want: { client_port: null, query_domain: 'evil-domain.com', response_code: 'NXDOMAIN', flags: '+' } },
  { type: 'dns', line: '2024-01-15T10:23:45.123Z client 192.168.1.5#53311 query: GitHub.com. IN AAAA +E(0)K (10.1.2.3) NOERROR',
    want: { client_port: 53311, query_domain: 'github.com', response_code: 'NOERROR' } },

  // ---- firewall: netfilter LOG lines and the seed's key=value lines ----
  { type: 'firewall', line: `Jan 15 10:23:45 gw kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= ${MAC} SRC=203.0.113.7 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=54321 DF PROTO=TCP SPT=52144 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0`,
    want: { ts: '2024-01-15T10:23:45Z', action: 'drop', rule: 'UFW BLOCK', src_ip: '203.0.113.7', dst_ip: '192.0.2.10', proto: 'TCP', src_port: 52144, dst_port: 22, bytes_sent: 60, hostname: 'gw',
      extra: { IN: 'eth0', OUT: '', MAC: MAC.slice(4), TOS: '0x00', PREC: '0x00', TTL: '52', ID: '54321', WINDOW: '64240', RES: '0x00', URGP: '0', flags: 'DF SYN' } } },
  { type: 'firewall', line: `Jan 15 10:23:46 gw kernel: [ 6789.012345] [UFW ALLOW] IN=eth0 OUT= ${MAC} SRC=192.0.2.5 DST=192.0.2.10 LEN=52 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=443 DPT=51000 WINDOW=502 RES=0x00 ACK URGP=0`,
    want: { action: 'accept', rule: 'UFW ALLOW', dst_port: 51000 } },
  { type: 'firewall', line: `Jan 15 10:23:47 gw kernel: [UFW AUDIT] IN=eth0 OUT= ${MAC} SRC=192.0.2.5 DST=192.0.2.10 LEN=52 TTL=64 PROTO=TCP SPT=443 DPT=51000`,
    want: { action: 'UFW AUDIT', rule: 'UFW AUDIT' } },
  { type: 'firewall', line: 'Jan 15 10:23:48 fw01 kernel: IPTABLES-DROP: IN=eth1 OUT= SRC=198.51.100.4 DST=192.0.2.1 LEN=40 TOS=0x00 PREC=0x00 TTL=244 ID=1 PROTO=UDP SPT=5353 DPT=53 LEN=20',
    want: { action: 'drop', rule: 'IPTABLES-DROP', proto: 'UDP', bytes_sent: 40, src_port: 5353, dst_port: 53, extra: { IN: 'eth1', OUT: '', TOS: '0x00', PREC: '0x00', TTL: '244', ID: '1', UDP_LEN: '20' } } },
  { type: 'firewall', line: 'Jan 15 10:23:49 fw01 kernel: REJECT-IN:IN=eth1 OUT= SRC=198.51.100.4 DST=192.0.2.1 LEN=60 TTL=50 PROTO=TCP SPT=40000 DPT=23 SYN',
    want: { action: 'reject', rule: 'REJECT-IN', dst_port: 23 } },
  { type: 'firewall', line: 'Jan 15 10:23:50 fw02 kernel: nft-drop IN=eth0 OUT= SRC=203.0.113.9 DST=192.0.2.1 LEN=84 TOS=0x00 PREC=0x00 TTL=60 ID=0 DF PROTO=ICMP TYPE=8 CODE=0 ID=1234 SEQ=1',
    want: { action: 'drop', rule: 'nft-drop', proto: 'ICMP', src_port: null, dst_port: null, bytes_sent: 84,
      extra: { IN: 'eth0', OUT: '', TOS: '0x00', PREC: '0x00', TTL: '60', ID: '0', TYPE: '8', CODE: '0', ICMP_ID: '1234', SEQ: '1', flags: 'DF' } } },
  { type: 'firewall', line: 'Jan 15 10:23:51 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=2001:db8::1 DST=2001:db8::2 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP SPT=1234 DPT=22 WINDOW=64800 RES=0x00 SYN URGP=0',
    want: { src_ip: '2001:db8::1', dst_ip: '2001:db8::2', dst_port: 22 } },
  { type: 'firewall', line: 'Jan 15 10:23:52 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=2001:db8::1 DST=ff02::1 LEN=72 TC=0 HOPLIMIT=255 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=1',
    want: { proto: 'ICMPv6', src_port: null, dst_port: null } },
  { type: 'firewall', line: 'Jan 15 10:23:53 cent kernel: filter_IN_public_REJECT: IN=ens3 OUT= MAC=fa:16:3e:00:00:01:fa:16:3e:00:00:02:08:00 SRC=198.51.100.77 DST=192.0.2.20 LEN=60 TOS=0x00 PREC=0x00 TTL=48 ID=0 DF PROTO=TCP SPT=45000 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0',
    want: { action: 'reject', rule: 'filter_IN_public_REJECT', hostname: 'cent' } },
  { type: 'firewall', line: '2024-01-15T10:23:45+0000 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.7 DST=192.0.2.10 LEN=60 PROTO=TCP SPT=1 DPT=2',
    want: { ts: '2024-01-15T10:23:45Z', hostname: 'gw', src_port: 1 } },
  { type: 'firewall', line: '<4>1 2024-01-15T10:23:45.000Z gw kernel - - - [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.7 DST=192.0.2.10 LEN=60 PROTO=UDP SPT=1 DPT=161 LEN=40',
    want: { hostname: 'gw', proto: 'UDP', dst_port: 161 } },
  { type: 'firewall', line: 'Jan 15 10:23:54 gw kernel: IN=eth0 OUT=eth1 SRC=10.0.0.1 DST=10.0.0.2 LEN=40 PROTO=TCP SPT=1 DPT=2',
    want: { action: 'log', rule: null } },
  { type: 'firewall', line: '2024-01-15T10:23:45.123Z|action=accept|src=192.168.1.100|dst=10.0.0.50|proto=TCP|src_port=51234|dst_port=443|bytes_sent=1520|rule=web_access',
    want: { action: 'accept', hostname: null, extra: null, bytes_sent: 1520 } },
];

function columnsOf(line: string, ctx = CTX): { type: string; v: Record<string, unknown> } {
  const { typeIndex, result } = parseLine(line, ctx);
  assert.ok(result.ok, `${line}\n→ ${result.ok ? '' : `${result.reason}: ${result.detail}`}`);
  const type = LOG_TYPES[typeIndex];
  const v = Object.fromEntries(type.columns.map((c, i) => [c.name, result.values[i]]));
  v.ts = new Date(Date.parse(String(v.ts))).toISOString();
  assert.equal(Date.parse(String(v.ts)), result.epochMs, 'the ts text and epochMs denote the same instant');
  return { type: type.name, v };
}

test(`${CASES.length} real line shapes parse into the right columns, nothing quarantined`, () => {
  assert.ok(CASES.length >= 30);
  assert.equal(new Set(CASES.map((c) => c.line)).size, CASES.length);
  for (const c of CASES) {
    const { type, v } = columnsOf(c.line);
    assert.equal(type, c.type, c.line);
    for (const [col, want] of Object.entries(c.want)) {
      const expected = col === 'ts' ? new Date(String(want)).toISOString() : want;
      assert.deepEqual(v[col], expected, `${col} of ${c.line}`);
    }
  }
  // At least ten real shapes per registered type: this table's, and those a type declares (its examples and cases).
  for (const t of LOG_TYPES) {
    const shapes = new Set([...CASES.filter((c) => c.type === t.name).map((c) => c.line), ...t.examples, ...(t.cases ?? []).map((c) => c.line)]);
    assert.ok(shapes.size >= 10, `${t.name}: ${shapes.size} shapes`);
  }
});

test('RFC 3164: the year comes from the file, the zone from the input', () => {
  const at = (line: string, ctx: Partial<ParseContext>) => columnsOf(line, { ...CTX, ...ctx }).v.ts;
  const line = 'Dec 31 23:59:58 bastion sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2';
  // December lines in a file last written in January belong to the year before.
  assert.equal(at(line, { refYear: 2025, refMonth: 1 }), '2024-12-31T23:59:58.000Z');
  assert.equal(at(line, { refYear: 2024, refMonth: 12 }), '2024-12-31T23:59:58.000Z');
  assert.equal(at(line, { refYear: 2025, refMonth: 1, year: 2019 }), '2019-12-31T23:59:58.000Z', 'input.year overrides');
  // Feb 29 exists in a leap year's file only.
  const leap = 'Feb 29 12:00:00 bastion sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2';
  assert.equal(at(leap, { refYear: 2024, refMonth: 3 }), '2024-02-29T12:00:00.000Z');
  const r = parseLine(leap, { ...CTX, refYear: 2025, refMonth: 3 }).result;
  assert.ok(!r.ok && r.reason === 'bad_timestamp', 'Feb 29 in a 2025 file is no date');
  // Zones: winter and summer time in Berlin, and the hour repeated when summer time ends.
  const berlin = TimeZone.of('Europe/Berlin');
  assert.equal(at('Jan 15 10:23:45 h sshd[1]: Failed password for r from 192.0.2.1 port 22 ssh2', { zone: berlin }), '2024-01-15T09:23:45.000Z');
  assert.equal(at('Jul 15 10:23:45 h sshd[1]: Failed password for r from 192.0.2.1 port 22 ssh2', { zone: berlin, refMonth: 8 }), '2024-07-15T08:23:45.000Z');
  assert.equal(at('Oct 27 02:30:00 h sshd[1]: Failed password for r from 192.0.2.1 port 22 ssh2', { zone: berlin, refMonth: 11 }), '2024-10-27T00:30:00.000Z', 'first of the two 02:30s');
  assert.equal(at('Mar 31 02:30:00 h sshd[1]: Failed password for r from 192.0.2.1 port 22 ssh2', { zone: berlin, refMonth: 4 }), '2024-03-31T01:30:00.000Z', 'a skipped time takes the offset before the change');
  const ny = TimeZone.of('America/New_York');
  assert.equal(at('15-Jan-2024 10:23:45.123 client 10.0.0.1#1 (a.b): query: a.b IN A + (10.0.0.53)', { zone: ny }), '2024-01-15T15:23:45.123Z', "BIND's stamp is read in the input's zone");
  assert.equal(at('2024-01-15T10:23:45.5 client 10.0.0.1 query: a.b IN A + (10.0.0.53) NOERROR', { zone: ny }), '2024-01-15T15:23:45.500Z', 'so is an ISO stamp without offset');
});

test('a zoneless stamp keeps its digits and gains the offset applied, for PostgreSQL to read exactly', () => {
  const { result } = parseLine('2024-01-15T10:23:45.123456 client 10.0.0.1 query: a.b IN A + (10.0.0.53) NOERROR', { ...CTX, zone: TimeZone.of('Asia/Kolkata') });
  assert.ok(result.ok);
  assert.equal(result.values[0], '2024-01-15T10:23:45.123456+05:30');
  const bsd = parseLine('Jan  5 01:02:03 h sshd[1]: Failed password for r from 192.0.2.1 port 22 ssh2', CTX).result;
  assert.ok(bsd.ok);
  assert.equal(bsd.values[0], '2024-01-05T01:02:03+00:00');
});

test('lines of real hosts that are not events logpipe keeps: unsupported_message, with the program named', () => {
  const reasons = (line: string) => {
    const { result } = parseLine(line, CTX);
    assert.ok(!result.ok, line);
    return [result.reason, result.detail];
  };
  assert.deepEqual(reasons('Jan 15 10:23:45 bastion sshd[1]: Received disconnect from 192.0.2.1 port 22:11: Bye Bye [preauth]')[0], 'unsupported_message');
  assert.deepEqual(reasons('Jan 15 10:23:45 bastion sshd[1]: pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)')[0], 'unsupported_message');
  assert.deepEqual(reasons('Jan 15 10:17:01 bastion CRON[4242]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)'), ['unsupported_message', 'no log type for program "CRON"']);
  assert.deepEqual(reasons('Jan 15 10:23:45 gw kernel: [ 1.234] usb 1-1: new high-speed USB device number 2 using xhci_hcd')[0], 'unsupported_message');
  assert.deepEqual(reasons('Jan 15 10:23:45 ns1 named[812]: zone example.com/IN: loaded serial 2024011501')[0], 'unsupported_message');
  assert.deepEqual(reasons('Feb 30 10:23:45 bastion sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2')[0], 'bad_timestamp');
  assert.deepEqual(reasons('<38>1 - bastion sshd 1 - - Failed password for root from 192.0.2.1 port 22 ssh2')[0], 'bad_timestamp');
  assert.deepEqual(reasons('<38>1 2024-01-15T10:23:45Z bastion sshd 1 - [unterminated Failed')[0], 'unknown_format');
  assert.deepEqual(reasons('usb 1-1: no stamp at all')[0], 'unknown_format');
});
