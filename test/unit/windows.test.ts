/** Splitting a time window into whole rollup buckets and table edges. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Params, parseWhen, splitWindow, tsCondition } from '../../src/logtypes/query/windows.js';

const H = 3_600_000;
const D = 86_400_000;
const at = (s: string) => new Date(s);
const iso = (w: { from: Date | null; to: Date | null } | null) => w && [w.from?.toISOString() ?? null, w.to?.toISOString() ?? null];

test('a window splits into whole buckets and partial edges', () => {
  const s = splitWindow({ from: at('2024-01-15T10:30:00Z'), to: at('2024-01-17T02:15:00Z') }, D);
  assert.deepEqual(iso(s.whole), ['2024-01-16T00:00:00.000Z', '2024-01-17T00:00:00.000Z']);
  assert.deepEqual(s.edges.map(iso), [['2024-01-15T10:30:00.000Z', '2024-01-16T00:00:00.000Z'], ['2024-01-17T00:00:00.000Z', '2024-01-17T02:15:00.000Z']]);
  const aligned = splitWindow({ from: at('2024-01-15T10:00:00Z'), to: at('2024-01-15T12:00:00Z') }, H);
  assert.deepEqual(iso(aligned.whole), ['2024-01-15T10:00:00.000Z', '2024-01-15T12:00:00.000Z']);
  assert.deepEqual(aligned.edges, []);
  const inside = splitWindow({ from: at('2024-01-15T10:10:00Z'), to: at('2024-01-15T10:50:00Z') }, H);
  assert.equal(inside.whole, null, 'no whole hour in it');
  assert.deepEqual(inside.edges.map(iso), [['2024-01-15T10:10:00.000Z', '2024-01-15T10:50:00.000Z']]);
  const open = splitWindow({ from: null, to: at('2024-01-15T10:10:00Z') }, H);
  assert.deepEqual(iso(open.whole), [null, '2024-01-15T10:00:00.000Z']);
  assert.deepEqual(open.edges.map(iso), [['2024-01-15T10:00:00.000Z', '2024-01-15T10:10:00.000Z']]);
  assert.deepEqual(splitWindow({ from: null, to: null }, D), { whole: { from: null, to: null }, edges: [] });
});

test('bounds reach PostgreSQL as parameters, never expressions of them (pruning while planning)', () => {
  const p = new Params();
  assert.equal(tsCondition({ from: at('2024-01-15T00:00:00Z'), to: at('2024-01-15T01:00:00Z') }, p), 'ts >= $1::timestamptz AND ts < $2::timestamptz');
  assert.deepEqual(p.values, ['2024-01-15T00:00:00.000Z', '2024-01-15T01:00:00.000Z']);
  assert.equal(parseWhen('--from', '2024-01-15')?.toISOString(), '2024-01-15T00:00:00.000Z');
  assert.throws(() => parseWhen('--from', 'yesterday'), /--from must be an ISO 8601 date or time/);
});
