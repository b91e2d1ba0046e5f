/**
 * Randomised robustness: arbitrary lines and bytes through the registry and the chunk parser
 * never throw, and each line ends as exactly one record, blank or quarantined line with a reason.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPools } from '../../src/logtypes/samples.js';
import { Rng } from '../../src/core/rng.js';
import { LOG_TYPES, parseLine } from '../../src/logtypes/registry.js';
import { REJECTION_REASONS } from '../../src/logtypes/types.js';
import { parseChunk } from '../../src/processor/parse-chunk.js';

const REASONS = new Set<string>(REJECTION_REASONS);
const ALPHABET = '0123456789abcdefABCDEF:.|=-_ []()#+TZ\t\\\'"é€\u0000\uFFFD';

function mutate(rng: Rng, line: string): string {
  const chars = [...line];
  const edits = rng.int(1, 4);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(0, chars.length);
    switch (rng.int(0, 3)) {
      case 0: chars.splice(at, 1); break;
      case 1: chars.splice(at, 0, ALPHABET[rng.int(0, ALPHABET.length - 1)]); break;
      case 2: chars[at] = ALPHABET[rng.int(0, ALPHABET.length - 1)]; break;
      default: chars.length = Math.min(chars.length, at);
    }
  }
  return chars.join('');
}

test('mutated and random lines: parseLine never throws, always a record or a known reason', () => {
  const rng = new Rng(1234);
  const pools = buildPools(1);
  const examples = LOG_TYPES.flatMap((t) => t.examples);
  for (let i = 0; i < 30_000; i++) {
    let line: string;
    if (i % 3 === 0) {
      line = Array.from({ length: rng.int(0, 80) }, () => ALPHABET[rng.int(0, ALPHABET.length - 1)]).join('');
    } else {
      const type = LOG_TYPES[i % LOG_TYPES.length];
      const base = i % 2 ? type.generate(rng, '2024-01-15T10:23:45.123Z', pools) : rng.pick(examples);
      line = mutate(rng, base);
    }
    const { typeIndex, result } = parseLine(line);
    if (result.ok) {
      assert.ok(typeIndex >= 0);
      assert.equal(result.values.length, LOG_TYPES[typeIndex].columns.length);
      assert.ok(Number.isFinite(result.epochMs));
    } else {
      assert.ok(REASONS.has(result.reason), result.reason);
      assert.equal(typeof result.detail, 'string');
    }
  }
});

/** Rows in binary COPY data, each checked to hold `fields` fields whose lengths fit the data exactly. */
function binaryRowCount(data: Buffer, fields: number): number {
  let pos = 0;
  let rows = 0;
  while (pos < data.length) {
    assert.equal(data.readInt16BE(pos), fields, 'fields in a row');
    pos += 2;
    for (let f = 0; f < fields; f++) {
      const len = data.readInt32BE(pos);
      pos += 4 + Math.max(len, 0);
    }
    rows++;
  }
  assert.equal(pos, data.length, 'the rows end where the data ends');
  return rows;
}

test('random bytes in a chunk: every line is accounted for exactly once', () => {
  const rng = new Rng(99);
  for (let round = 0; round < 300; round++) {
    const parts: Buffer[] = [];
    let lines = 0;
    const n = rng.int(1, 40);
    for (let i = 0; i < n; i++) {
      const len = rng.int(0, 120);
      const bytes = Buffer.alloc(len);
      for (let k = 0; k < len; k++) {
        let b = rng.int(0, 255);
        if (b === 10) b = 11;
        bytes[k] = b;
      }
      parts.push(bytes, Buffer.from('\n'));
      lines++;
    }
    const payload = Buffer.concat(parts);
    const { rows } = parseChunk({ fileId: 1, start: 0, end: payload.length, firstLine: 1, lineCount: lines, payload });
    const recordRows = rows.rows.reduce((a, r) => a + r.rows, 0);
    assert.equal(rows.records, recordRows);
    const copyRows = rows.rows.reduce((a, r, t) => a + binaryRowCount(r.bytes(), LOG_TYPES[t].columns.length + 2), 0);
    assert.equal(copyRows, recordRows, 'one well-formed binary COPY row per record');
    assert.equal(rows.quarantine.rows, rows.quarantined);
    assert.equal(rows.records + rows.quarantined + rows.blank, lines);
  }
});
