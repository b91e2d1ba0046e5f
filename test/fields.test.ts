import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isIP, isIPv4, parseTimestamp, parseUint } from '../src/logtypes/fields.js';

test('timestamps: the seed shape and ISO variants parse to the right instant', () => {
  assert.equal(parseTimestamp('2024-01-15T10:23:45.123Z'), Date.UTC(2024, 0, 15, 10, 23, 45, 123));
  assert.equal(parseTimestamp('2024-01-15T10:23:45Z'), Date.UTC(2024, 0, 15, 10, 23, 45));
  assert.equal(parseTimestamp('2024-01-15T10:23:45.1Z'), Date.UTC(2024, 0, 15, 10, 23, 45, 100));
  assert.equal(parseTimestamp('2024-01-15T10:23:45.123456789Z'), Date.UTC(2024, 0, 15, 10, 23, 45, 123));
  assert.equal(parseTimestamp('2024-01-15T11:23:45.123+01:00'), Date.UTC(2024, 0, 15, 10, 23, 45, 123));
  assert.equal(parseTimestamp('2024-01-15T05:23:45-0500'), Date.UTC(2024, 0, 15, 10, 23, 45));
  assert.equal(parseTimestamp('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
});

test('timestamps: impossible or malformed ones are NaN', () => {
  for (const bad of [
    '2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-00-10T00:00:00Z',
    '2024-01-15T24:00:00Z', '2024-01-15T10:60:00Z', '2024-01-15T10:00:60Z', '2024-01-15T10:23:45',
    '2024-01-15 10:23:45Z', '1969-12-31T23:59:59Z', '2100-01-01T00:00:00Z', '2024-01-15T10:23:45.Z',
    '2024-01-15T10:23:45.123Zjunk', 'abcd-01-15T10:23:45Z', '2024-01-15T10:23:45+25:00', '',
  ]) {
    assert.ok(Number.isNaN(parseTimestamp(bad)), bad);
  }
});

test('IPv4 and IPv6 validation', () => {
  for (const ok of ['192.168.1.1', '0.0.0.0', '255.255.255.255', '10.0.0.50']) assert.ok(isIPv4(ok), ok);
  for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', '1.2.3.4 ', 'a.b.c.d', '']) assert.ok(!isIPv4(bad), bad);
  assert.ok(isIP('2001:db8::1'));
  assert.ok(isIP('::ffff:192.168.1.1'));
  assert.ok(!isIP('fe80::1%eth0'));
  assert.ok(!isIP('2001:db8:::1'));
});

test('unsigned integers with a maximum', () => {
  assert.equal(parseUint('443', 65535), 443);
  assert.equal(parseUint('0', 65535), 0);
  assert.equal(parseUint('65536', 65535), -1);
  assert.equal(parseUint('-1', 65535), -1);
  assert.equal(parseUint('4e3', 65535), -1);
  assert.equal(parseUint('', 65535), -1);
  assert.equal(parseUint('1234567890123456', Number.MAX_SAFE_INTEGER), -1);
});
