import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipText, ipv4Bits, ipValue, isIP, parseUint } from '../../src/logtypes/fields.js';
import { parseIsoTimestamp } from '../../src/logtypes/time.js';

const parseTimestamp = (s: string) => parseIsoTimestamp(s, null);

test('timestamps: the seed shape and ISO variants parse to the right instant', () => {
  assert.equal(parseTimestamp('2024-01-15T10:23:45.123Z'), Date.UTC(2024, 0, 15, 10, 23, 45, 123));
  assert.equal(parseTimestamp('2024-01-15T10:23:45Z'), Date.UTC(2024, 0, 15, 10, 23, 45));
  assert.equal(parseTimestamp('2024-01-15T10:23:45.1Z'), Date.UTC(2024, 0, 15, 10, 23, 45, 100));
  assert.equal(parseTimestamp('2024-01-15T10:23:45.123456789Z'), Date.UTC(2024, 0, 15, 10, 23, 45, 123));
  assert.equal(parseTimestamp('2024-01-15T11:23:45.123+01:00'), Date.UTC(2024, 0, 15, 10, 23, 45, 123));
  assert.equal(parseTimestamp('2024-01-15T05:23:45-0500'), Date.UTC(2024, 0, 15, 10, 23, 45));
  assert.equal(parseTimestamp('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
});

test('timestamps: every day from 1970 to 2099 at a random time and offset agrees with Date', () => {
  let seed = 7;
  const rand = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  for (let t = Date.UTC(1970, 0, 1); t < Date.UTC(2100, 0, 1); t += 86_400_000) {
    const d = new Date(t + rand(86_400_000));
    const ms = d.getUTCMilliseconds();
    const iso = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    assert.equal(parseTimestamp(`${iso}.${pad(ms, 3)}Z`), d.getTime(), iso);
    const offset = rand(28 * 60) - 14 * 60; // minutes, -14:00 to +13:59
    const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
    assert.equal(parseTimestamp(`${iso}${zone}`), d.getTime() - ms - offset * 60_000, `${iso}${zone}`);
  }
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
  for (const ok of ['192.168.1.1', '0.0.0.0', '255.255.255.255', '10.0.0.50']) assert.notEqual(ipv4Bits(ok), null, ok);
  for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', '1.2.3.4 ', 'a.b.c.d', '']) assert.equal(ipv4Bits(bad), null, bad);
  assert.ok(isIP('2001:db8::1'));
  assert.ok(isIP('::ffff:192.168.1.1'));
  assert.ok(!isIP('fe80::1%eth0'));
  assert.ok(!isIP('2001:db8:::1'));
});

test('an address as an inet value: IPv4 as its 32 bits (a small integer), IPv6 as its text, and back', () => {
  const cases: [string, number][] = [['0.0.0.0', 0], ['10.0.0.50', 0x0a000032], ['127.0.0.1', 0x7f000001], ['192.168.1.100', 0xc0a80164 | 0], ['255.255.255.255', -1]];
  for (const [text, bits] of cases) {
    assert.equal(ipValue(text), bits, text);
    assert.equal(ipText(bits), text);
  }
  // Read in place from a longer line, as the parsers do; the range's bounds are exact.
  const line = 'src=192.168.1.7|dst=10.9.8.7';
  assert.equal(ipv4Bits(line, 4, 15), 0xc0a80107 | 0);
  assert.equal(ipv4Bits(line, 20, line.length), 0x0a090807);
  assert.equal(ipv4Bits(line, 4, 16), null);
  assert.equal(ipValue(line, 20, line.length), 0x0a090807);
  assert.equal(ipValue('src=2001:db8::1|dst', 4, 15), '2001:db8::1', 'an IPv6 range comes out as its text');
  assert.equal(ipValue('2001:db8::1'), '2001:db8::1');
  assert.equal(ipText('2001:db8::1'), '2001:db8::1');
  for (const bad of ['256.1.1.1', '01.2.3.4', 'fe80::1%eth0', 'host', '']) assert.equal(ipValue(bad), null, bad);
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
