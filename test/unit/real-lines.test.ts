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
import { REAL_LINES } from '../fixtures/real-lines.js';
import { recordOf } from '../helpers/records.js';

const CTX: ParseContext = { zone: TimeZone.UTC, year: null, refYear: 2024, refMonth: 3 };

function columnsOf(line: string, ctx = CTX): { type: string; v: Record<string, unknown> } {
  const { typeIndex, result } = parseLine(line, ctx);
  assert.ok(result.ok, `${line}\n→ ${result.ok ? '' : `${result.reason}: ${result.detail}`}`);
  const type = LOG_TYPES[typeIndex];
  const v = recordOf(type, result.values);
  v.ts = new Date(Date.parse(String(v.ts))).toISOString();
  assert.equal(Date.parse(String(v.ts)), result.epochMs, 'the ts text and epochMs denote the same instant');
  return { type: type.name, v };
}

test(`${REAL_LINES.length} real line shapes parse into the right columns, nothing quarantined`, () => {
  assert.ok(REAL_LINES.length >= 30);
  assert.equal(new Set(REAL_LINES.map((c) => c.line)).size, REAL_LINES.length);
  for (const c of REAL_LINES) {
    const { type, v } = columnsOf(c.line);
    assert.equal(type, c.type, c.line);
    for (const [col, want] of Object.entries(c.want)) {
      const expected = col === 'ts' ? new Date(String(want)).toISOString() : want;
      assert.deepEqual(v[col], expected, `${col} of ${c.line}`);
    }
  }
  // At least ten real shapes per registered type: this table's, and those a type declares (its examples and cases).
  for (const t of LOG_TYPES) {
    const shapes = new Set([...REAL_LINES.filter((c) => c.type === t.name).map((c) => c.line), ...t.examples, ...(t.cases ?? []).map((c) => c.line)]);
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
