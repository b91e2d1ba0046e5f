/**
 * The conformance suite every registered log type must pass, then each type's own cases,
 * including every rejection reason it can produce.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildPools } from '../../src/logtypes/samples.js';
import { Rng } from '../../src/core/rng.js';
import { defaultContext, envelopeOf, LOG_TYPES, parseLine } from '../../src/logtypes/registry.js';
import type { Parsed, ParseResult } from '../../src/logtypes/types.js';
import { parseChunk } from '../../src/processor/parse-chunk.js';
import { recordOf } from '../helpers/records.js';
import { dayOf, partitionName, typeOfPartition } from '../../src/store/partitions.js';

function ok(r: ParseResult): Parsed {
  assert.ok(r.ok, r.ok ? '' : `rejected: ${r.reason} (${r.detail})`);
  return r as Parsed;
}

function values(line: string): Record<string, unknown> {
  const { typeIndex, result } = parseLine(line);
  const type = LOG_TYPES[typeIndex];
  const parsed = ok(result);
  return recordOf(type, parsed.values);
}

/** The line with an impossible date (30 February) in its own stamp format. */
function breakStamp(line: string): string {
  const iso = /\d{4}-\d\d-\d\dT/.exec(line);
  if (iso) return line.replace(iso[0], '2024-02-30T');
  const bind = /^\d\d-[A-Z][a-z]{2}-\d{4}/.exec(line);
  if (bind) return line.replace(bind[0], '30-Feb-2024');
  return line.replace(/^(<\d+>)?[A-Z][a-z]{2} [ \d]\d/, (_m, pri) => `${pri ?? ''}Feb 30`);
}

function reason(line: string): string {
  const { result } = parseLine(line);
  assert.ok(!result.ok, `expected a rejection for ${line}`);
  return result.reason;
}

for (const type of LOG_TYPES) {
  describe(`conformance: ${type.name}`, () => {
    test('declares a table, a ts column first and indexes with reasons', () => {
      assert.match(type.table, /^[a-z_]+$/);
      assert.deepEqual(type.columns[0], { ...type.columns[0], name: 'ts', type: 'timestamptz', nullable: false });
      assert.equal(new Set(type.columns.map((c) => c.name)).size, type.columns.length);
      assert.ok(type.indexes.length > 0);
      for (const ix of type.indexes) assert.ok(ix.why.length > 10);
    });

    test('its examples parse, are recognised by it alone, and fill every non-null column', () => {
      for (const line of type.examples) {
        const out = parseLine(line);
        assert.equal(LOG_TYPES[out.typeIndex], type, line);
        const parsed = ok(out.result);
        assert.equal(parsed.values.length, type.columns.length);
        type.columns.forEach((c, i) => {
          if (!c.nullable) assert.notEqual(parsed.values[i], null, `${c.name} in ${line}`);
        });
        const env = envelopeOf(line, defaultContext());
        assert.ok(!('ok' in env), line);
        assert.equal(LOG_TYPES.filter((t) => t.recognise(line, env)).length, 1, 'only one type recognises it');
      }
    });

    test('every generated line parses to a record with typed values', () => {
      const rng = new Rng(7);
      const pools = buildPools(7);
      for (let i = 0; i < 2000; i++) {
        const ts = new Date(Date.UTC(2024, 0, 15) + i * 1000).toISOString();
        const line = type.generate(rng, ts, pools);
        const out = parseLine(line);
        assert.equal(LOG_TYPES[out.typeIndex], type, line);
        const parsed = ok(out.result);
        assert.equal(parsed.epochMs, Date.parse(ts));
        type.columns.forEach((c, i) => {
          const v = parsed.values[i];
          if (v === null) return assert.ok(c.nullable, c.name);
          if (c.type === 'integer' || c.type === 'bigint') assert.equal(typeof v, 'number', c.name);
          if (c.type === 'boolean') assert.equal(typeof v, 'boolean', c.name);
          // An IPv4 address as its 32 bits (a small integer), anything else as text.
          if (c.type === 'inet') assert.ok(typeof v === 'number' ? (v | 0) === v : typeof v === 'string', `${c.name}: ${String(v)}`);
        });
      }
    });

    test('a broken timestamp is bad_timestamp, never a record, in every envelope of its examples', () => {
      for (const line of type.examples) {
        const broken = breakStamp(line);
        // A stamp format this test does not know (one the type adds): the type declares its broken stamp.
        if (broken === line) assert.ok(type.rejects?.some((r) => r.reason === 'bad_timestamp'), `${type.name} declares a bad_timestamp case for ${line}`);
        else assert.equal(reason(broken), 'bad_timestamp', broken);
      }
    });

    test('its declared cases give their values, its declared rejections their reasons', () => {
      for (const c of type.cases ?? []) {
        const out = parseLine(c.line);
        assert.equal(LOG_TYPES[out.typeIndex], type, c.line);
        const got = values(c.line);
        assert.deepEqual(Object.fromEntries(Object.keys(c.values).map((k) => [k, got[k]])), c.values, c.line);
      }
      for (const r of type.rejects ?? []) assert.equal(reason(r.line), r.reason, r.line);
    });

    test('claims its programs alone', () => {
      for (const p of type.programs) assert.equal(LOG_TYPES.filter((t) => t.programs.includes(p)).length, 1, p);
    });
  });
}

describe('firewall', () => {
  test('keys in any order, unknown keys kept in extra, missing optional keys are null', () => {
    const v = values('2024-01-15T10:23:45.123Z|rule=web_access|dst=10.0.0.50|zone=dmz|src=192.168.1.100|action=accept|dst_port=443');
    assert.equal(v.src_ip, '192.168.1.100');
    assert.equal(v.dst_ip, '10.0.0.50');
    assert.equal(v.dst_port, 443);
    assert.equal(v.src_port, null);
    assert.equal(v.bytes_sent, null);
    assert.deepEqual(v.extra, { zone: 'dmz' });
  });
  test('rejections', () => {
    const base = '2024-01-15T10:23:45.123Z|action=accept|src=192.168.1.1|dst=10.0.0.1';
    assert.equal(reason(base.replace('192.168.1.1', '192.168.1.300')), 'bad_ip');
    assert.equal(reason(base + '|dst_port=70000'), 'bad_number');
    assert.equal(reason(base + '|src_port=abc'), 'bad_number');
    assert.equal(reason(base + '|bytes_sent=-5'), 'bad_number');
    assert.equal(reason(base.replace('|dst=10.0.0.1', '')), 'missing_field');
    assert.equal(reason(base.replace('action=accept|', '')), 'missing_field');
    assert.equal(reason(base + '|garbage'), 'unknown_format');
    assert.equal(reason(base + '|src=192.168.1.2'), 'unknown_format');
    assert.equal(reason('2024-13-15T10:23:45.123Z|action=accept|src=1.1.1.1|dst=2.2.2.2'), 'bad_timestamp');
    // Without an offset, a stamp is read in input.timezone (UTC here), not refused.
    assert.equal(values('2024-01-15T10:23:45.123|action=accept|src=1.1.1.1|dst=2.2.2.2').ts, '2024-01-15T10:23:45.123+00:00');
  });
});

describe('dns', () => {
  test('the seed shape, lower-cased domain, BIND client port and flags', () => {
    const v = values('2024-01-15T10:23:45.123Z client 192.168.1.5#5353 query: Evil-Domain.COM. IN A +E(0)K (10.1.2.3) NXDOMAIN');
    assert.deepEqual(
      [v.client_ip, v.client_port, v.query_domain, v.query_class, v.query_type, v.flags, v.server_ip, v.response_code],
      ['192.168.1.5', 5353, 'evil-domain.com', 'IN', 'A', '+E(0)K', '10.1.2.3', 'NXDOMAIN'],
    );
  });
  test('runs of spaces separate like one; no flags, one flag or several', () => {
    const spaced = values('2024-01-15T10:23:45.123Z client   192.168.1.5 query:  a.com  IN   A  +  E  (10.1.2.3)   NOERROR');
    assert.deepEqual([spaced.client_ip, spaced.query_domain, spaced.query_type, spaced.flags, spaced.server_ip], ['192.168.1.5', 'a.com', 'A', '+ E', '10.1.2.3']);
    assert.equal(values('2024-01-15T10:23:45.123Z client 192.168.1.5 query: a.com IN A (10.1.2.3) NOERROR').flags, null);
    assert.equal(values('2024-01-15T10:23:45.123Z client 192.168.1.5 query: a.com IN A + (10.1.2.3) NOERROR').flags, '+');
  });
  test('rejections', () => {
    const base = '2024-01-15T10:23:45.123Z client 192.168.1.5 query: evil.com IN A + (10.1.2.3) NXDOMAIN';
    assert.equal(reason(base.replace(' IN A + (10.1.2.3)', ' IN (10.1.2.3)')), 'unknown_format');
    assert.equal(reason(base.split(' client ')[0] + ' client 192.168.1.5'), 'unknown_format');
    assert.equal(reason(base.replace('192.168.1.5', '192.168.1')), 'bad_ip');
    assert.equal(reason(base.replace('(10.1.2.3)', '(10.1.2.999)')), 'bad_ip');
    assert.equal(reason(base.replace('192.168.1.5', '192.168.1.5#99999')), 'bad_number');
    assert.equal(reason(base.replace(' (10.1.2.3)', ' 10.1.2.3')), 'missing_field');
    // Without a response code it is BIND's query log shape: a record whose response_code is null.
    assert.equal(values(base.replace(' NXDOMAIN', '')).response_code, null);
    assert.equal(reason(base.replace(' NXDOMAIN', ' nxdomain!')), 'missing_field');
    assert.equal(reason(base.replace('query:', 'querx:')), 'unknown_format');
  });
});

describe('auth', () => {
  test('Failed password for invalid user is kept, not dropped', () => {
    const v = values('2024-01-15T10:23:45.123Z auth-srv02 sshd[2211]: Failed password for invalid user oracle from 192.168.1.77 port 40022 ssh2');
    assert.deepEqual(
      [v.hostname, v.pid, v.status, v.auth_method, v.username, v.invalid_user, v.source_ip, v.source_port],
      ['auth-srv02', 2211, 'Failed', 'password', 'oracle', true, '192.168.1.77', 40022],
    );
  });
  test('other OpenSSH variants', () => {
    assert.equal(values('2024-01-15T10:23:45.123Z h sshd[9]: Accepted publickey for bob from 10.0.0.1 port 22 ssh2: RSA SHA256:x').auth_method, 'publickey');
    const inv = values('2024-01-15T10:23:45.123Z h sshd[9]: Invalid user admin from 10.0.0.1');
    assert.deepEqual([inv.status, inv.username, inv.invalid_user, inv.source_port], ['Invalid', 'admin', true, null]);
    const closed = values('2024-01-15T10:23:45.123Z h sshd[9]: Connection closed by authenticating user root 10.0.0.2 port 5051 [preauth]');
    assert.deepEqual([closed.status, closed.username, closed.source_ip, closed.source_port], ['Closed', 'root', '10.0.0.2', 5051]);
    const spaced = values('2024-01-15T10:23:45.123Z h sshd[9]: Failed password for invalid user a b from 10.0.0.1 port 22 ssh2');
    assert.equal(spaced.username, 'a b');
  });
  test('rejections', () => {
    const base = '2024-01-15T10:23:45.123Z auth-srv01 sshd[12345]: Accepted password for admin from 192.168.1.10 port 52113 ssh2';
    assert.equal(reason(base.replace('192.168.1.10', '192.168.1.1000')), 'bad_ip');
    assert.equal(reason(base.replace('52113', '99999')), 'bad_number');
    assert.equal(reason(base.replace('[12345]', '[12x45]')), 'bad_number');
    assert.equal(reason(base.replace(' port 52113 ssh2', '')), 'missing_field');
    assert.equal(reason(base.replace(' for admin', '')), 'missing_field');
    assert.equal(reason('2024-01-15T10:23:45.123Z auth-srv01 sshd[1]: pam_unix(sshd:session): session opened for user x'), 'unsupported_message');
  });
});

test('a NUL byte is invalid_encoding; an unknown shape is unknown_format', () => {
  assert.equal(reason('2024-01-15T10:23:45.123Z client 1.2.3.4\0 query: a IN A + (1.1.1.1) NOERROR'), 'invalid_encoding');
  assert.equal(reason('kernel: usb 1-1: new device'), 'unknown_format');
  assert.equal(reason('2024-01-15T10:23:45.123Z some free text that is no event'), 'unknown_format');
});

test('a module that throws anyway costs its line (quarantined with the error), not its chunk', () => {
  const dns = LOG_TYPES.find((t) => t.name === 'dns')!;
  const parse = dns.parse;
  // Fault injection: parsers are total by contract, so make one throw on a chosen line.
  dns.parse = (line, env) => (line.includes('boom.example') ? (null as unknown as { x: number }).x : parse(line, env)) as ParseResult;
  try {
    const lines = [
      '2024-01-15T10:23:45.123Z client 192.168.1.100 query: google.com IN A + (10.1.2.3) NOERROR',
      '2024-01-15T10:23:46.123Z client 192.168.1.100 query: boom.example IN A + (10.1.2.3) NOERROR',
      '2024-01-15T10:23:47.123Z|action=accept|src=192.168.1.1|dst=10.0.0.1',
    ];
    const { result } = parseLine(lines[1]);
    assert.ok(!result.ok && result.reason === 'unknown_format' && /^dns parser failed: /.test(result.detail), JSON.stringify(result));
    const payload = Buffer.from(lines.join('\n') + '\n');
    const { rows } = parseChunk({ fileId: 1, start: 0, end: payload.length, firstLine: 1, lineCount: 3, payload });
    assert.deepEqual([rows.records, rows.quarantined, rows.reasons.get('dns\tunknown_format')], [2, 1, 1]);
  } finally {
    dns.parse = parse;
  }
});

test("a partition's name gives its log type back (maintain's order is the type's)", () => {
  const day = dayOf(Date.UTC(2024, 0, 15));
  for (const t of LOG_TYPES) assert.equal(typeOfPartition(partitionName(t, day)), t, t.name);
  assert.equal(partitionName(LOG_TYPES[0], day), `${LOG_TYPES[0].table}_p20240115`);
  for (const other of ['firewall_logs', 'firewall_logs_p2024011', 'firewall_logs_order', 'nothing_p20240115']) assert.equal(typeOfPartition(other), undefined, other);
});
