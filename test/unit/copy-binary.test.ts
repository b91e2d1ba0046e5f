/**
 * The binary COPY encoders on their own (test/integration/copy-format.test.ts checks them against
 * PostgreSQL's text input): timestamps to microseconds since 2000-01-01, IPv6 to 16 bytes, rows
 * framed as COPY expects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOG_TYPES } from '../../src/logtypes/registry.js';
import { configureParsing, DEFAULT_PARSE_SETTINGS, parseChunk } from '../../src/processor/parse-chunk.js';
import { BinaryRows, COPY_BINARY_HEADER, OutOfRange, timestampMicros, writeIPv6 } from '../../src/store/copy-binary.js';
import { DECLARED_COPY_TYPES } from '../../src/store/copy-plan.js';
import { tableColumns } from '../../src/store/schema.js';

const PG_EPOCH = Date.UTC(2000, 0, 1);

test('timestamps: whole seconds from the instant, the fraction from the text, rounded half to even past six digits', () => {
  const at = (iso: string) => Date.parse(iso);
  assert.equal(timestampMicros('2000-01-01T00:00:00Z', PG_EPOCH), 0);
  assert.equal(timestampMicros('2000-01-01T00:00:01.5Z', PG_EPOCH + 1500), 1_500_000);
  assert.equal(timestampMicros('2000-01-01T00:00:01.123456Z', PG_EPOCH + 1123), 1_123_456);
  assert.equal(timestampMicros('1999-12-31T23:59:59.25Z', PG_EPOCH - 750), -750_000);
  assert.equal(timestampMicros('2000-01-01T01:00:00.000001+01:00', PG_EPOCH), 1);
  assert.equal(timestampMicros('2000-01-01T00:00:00.0000005Z', PG_EPOCH), 0, 'half rounds to even: 0');
  assert.equal(timestampMicros('2000-01-01T00:00:00.0000015Z', PG_EPOCH), 2, 'half rounds to even: 2');
  assert.equal(timestampMicros('2000-01-01T00:00:00.9999996Z', PG_EPOCH + 999), 1_000_000, 'rounds into the next second');
  assert.equal(timestampMicros('2024-01-15T10:23:45.123Z', at('2024-01-15T10:23:45.123Z')), (at('2024-01-15T10:23:45Z') - PG_EPOCH) * 1000 + 123_000);
});

test('IPv6 literals in every form become their 16 bytes', () => {
  const bytes = (s: string) => {
    const b = Buffer.alloc(16);
    writeIPv6(s, b, 0);
    return b.toString('hex');
  };
  assert.equal(bytes('::'), '0'.repeat(32));
  assert.equal(bytes('::1'), '0'.repeat(31) + '1');
  assert.equal(bytes('1::'), '0001' + '0'.repeat(28));
  assert.equal(bytes('2001:db8::dead:beef'), '20010db8' + '0'.repeat(16) + 'deadbeef');
  assert.equal(bytes('2001:DB8:0:0:1:0:0:1'), '20010db8000000000001000000000001');
  assert.equal(bytes('::ffff:192.0.2.1'), '0'.repeat(20) + 'ffff' + 'c0000201');
  assert.equal(bytes('1:2:3:4:5:6:7::'), '0001000200030004000500060007' + '0000');
  assert.equal(bytes('fe80::1:2'), 'fe80' + '0'.repeat(20) + '00010002');
});

test('a row: field count, then each field as length and bytes; NULL as length -1; integers as wide as the column', () => {
  const w = new BinaryRows(['timestamptz', 'text', 'integer', 'integer', 'inet', 'integer', 'bigint']);
  w.push(['2000-01-01T00:00:00Z', 'é', null, 7, '10.1.2.3'], PG_EPOCH, 3, 9);
  const b = w.done();
  assert.equal(b.format, 'binary');
  assert.equal(b.rows, 1);
  const hex = b.bytes().toString('hex');
  assert.equal(hex, [
    '0007', // fields
    '00000008', '0000000000000000', // ts
    '00000002', 'c3a9', // 'é' in UTF-8
    'ffffffff', // NULL
    '00000004', '00000007',
    '00000008', '02200004', '0a010203', // inet: family, bits, is_cidr, length, address
    '00000004', '00000003', // file_id
    '00000008', '0000000000000009', // line_no, a bigint in this table
  ].join(''));
  assert.equal(COPY_BINARY_HEADER.length, 19);
  // The address as the parsers give it (its bits, ipValue) makes the same bytes as its text.
  const bits = new BinaryRows(['timestamptz', 'text', 'integer', 'integer', 'inet', 'integer', 'bigint']);
  bits.push(['2000-01-01T00:00:00Z', 'é', null, 7, 0x0a010203], PG_EPOCH, 3, 9);
  assert.equal(bits.done().bytes().toString('hex'), hex);
});

test('a number its column cannot hold is refused before anything is written (binary would wrap it)', () => {
  const w = new BinaryRows(['timestamptz', 'integer', 'bigint', 'integer', 'integer']);
  assert.throws(() => w.push(['2000-01-01T00:00:00Z', 2 ** 31, 1], PG_EPOCH, 1, 1), OutOfRange);
  assert.throws(() => w.push(['2000-01-01T00:00:00Z', 1, 2 ** 53], PG_EPOCH, 1, 1), OutOfRange);
  assert.throws(() => w.push(['2000-01-01T00:00:00Z', 1.5, 1], PG_EPOCH, 1, 1), OutOfRange);
  w.push(['2000-01-01T00:00:00Z', -(2 ** 31), 2 ** 53 - 1], PG_EPOCH, 1, 1);
  const b = w.done();
  assert.equal(b.rows, 1, 'only the row that fits');
  assert.equal(b.bytes().readInt16BE(0), 5, 'and it starts the data');
});

test('a line whose number its column cannot hold is quarantined as bad_number; the chunk goes on', () => {
  const fw = LOG_TYPES.findIndex((t) => t.name === 'firewall');
  const narrow = DECLARED_COPY_TYPES.map((types, t) => (t === fw ? tableColumns(LOG_TYPES[t]).map((c) => (c.name === 'bytes_sent' ? 'integer' : c.type)) : types));
  configureParsing({ ...DEFAULT_PARSE_SETTINGS, copyTypes: narrow });
  try {
    const lines = ['2024-01-15T10:00:00Z|action=accept|src=10.0.0.1|dst=10.0.0.2|bytes_sent=9999999999', '2024-01-15T10:00:01Z|action=accept|src=10.0.0.1|dst=10.0.0.2|bytes_sent=5'];
    const payload = Buffer.from(lines.join('\n') + '\n');
    const { rows } = parseChunk({ fileId: 1, start: 0, end: payload.length, firstLine: 1, lineCount: 2, payload });
    assert.equal(rows.records, 1);
    assert.equal(rows.quarantined, 1);
    assert.deepEqual([...rows.reasons], [['firewall\tbad_number', 1]]);
    assert.equal(rows.rows[fw].rows, 1);
  } finally {
    configureParsing(DEFAULT_PARSE_SETTINGS);
  }
});
