import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { fileName, generate } from '../../src/generator/generate.js';
import { LOG_TYPES, parseLine } from '../../src/logtypes/registry.js';
import { parseChunk } from '../../src/processor/parse-chunk.js';
import { Chunker } from '../../src/reader/chunker.js';
import { TempPaths } from '../helpers/temp.js';

const temp = new TempPaths('logpipe-gen-');
after(() => temp.removeAll());

test("default seed: every line parses with zero rejections, the mix is the default types' weights (the seed's 50/30/20) ± 1%, timestamps follow the seed", () => {
  const out = temp.dir();
  const report = generate({ files: 5, lines: 10_000, out, seed: 42, dirty: 0 });
  assert.deepEqual(report.files.map((f) => f.slice(out.length + 1)), [0, 1, 2, 3, 4].map(fileName));
  const counts = new Map<string, number>();
  let total = 0;
  for (const [f, path] of report.files.entries()) {
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'every line ends with a newline');
    lines.forEach((line, i) => {
      const { typeIndex, result } = parseLine(line);
      assert.ok(result.ok, `${path}:${i + 1} rejected: ${line}`);
      const name = LOG_TYPES[typeIndex].name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      const offset = result.epochMs - Date.UTC(2024, 0, 15) - (f * 10_000 + i) * 1000;
      assert.ok(offset >= 0 && offset <= 999, `timestamp of ${path}:${i + 1}`);
      // The stamp's text is exactly toISOString's (the generator formats each minute once).
      assert.equal(line.slice(0, 24), new Date(result.epochMs).toISOString(), `stamp text of ${path}:${i + 1}`);
      total++;
    });
  }
  assert.equal(total, 50_000);
  const sampled = LOG_TYPES.filter((t) => t.sampledByDefault);
  assert.deepEqual(sampled.map((t) => [t.name, t.sampleWeight]), [['firewall', 0.5], ['dns', 0.3], ['auth', 0.2]], "the seed's mix");
  assertMix(counts, total, sampled);
  for (const t of LOG_TYPES) assert.equal(report.records[t.name], counts.get(t.name) ?? 0, t.name);
});

/** Each type's share of `total` is its weight among `types` ± 1%; no other type appears. */
function assertMix(counts: Map<string, number>, total: number, types: typeof LOG_TYPES) {
  const sum = types.reduce((a, t) => a + t.sampleWeight, 0);
  for (const t of types) assert.ok(Math.abs((counts.get(t.name) ?? 0) / total - t.sampleWeight / sum) <= 0.01, `${t.name}: ${counts.get(t.name)} of ${total}`);
  assert.deepEqual([...counts.keys()].filter((n) => !types.some((t) => t.name === n)), [], 'only the types asked for');
}

test('--types: the types asked for, in the proportion of their weights; an unknown one is an error', () => {
  for (const names of [LOG_TYPES.map((t) => t.name), [LOG_TYPES[0].name, LOG_TYPES[LOG_TYPES.length - 1].name]]) {
    const report = generate({ files: 1, lines: 20_000, out: temp.dir(), seed: 1, dirty: 0, types: names });
    const counts = new Map<string, number>();
    for (const line of readFileSync(report.files[0], 'utf8').trimEnd().split('\n')) {
      const { typeIndex, result } = parseLine(line);
      assert.ok(result.ok, line);
      counts.set(LOG_TYPES[typeIndex].name, (counts.get(LOG_TYPES[typeIndex].name) ?? 0) + 1);
    }
    assertMix(counts, 20_000, LOG_TYPES.filter((t) => names.includes(t.name)));
  }
  assert.throws(() => generate({ files: 1, lines: 1, out: temp.dir(), seed: 1, dirty: 0, types: ['kafka'] }), /no log type "kafka"/);
});

test('reproducible: the same seed writes the same bytes, another seed does not', () => {
  const hash = (seed: number) => {
    const r = generate({ files: 2, lines: 3000, out: temp.dir(), seed, dirty: 0.05 });
    return r.files.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex')).join();
  };
  assert.equal(hash(7), hash(7));
  assert.notEqual(hash(7), hash(8));
});

test('--dirty: what the report expects is exactly what the parser produces, per reason', () => {
  const out = temp.dir();
  const report = generate({ files: 2, lines: 20_000, out, seed: 5, dirty: 0.05 });
  assert.ok(Object.keys(report.dirtyByKind).length >= 10, 'every kind of damage appears');
  let records = 0, quarantined = 0, blank = 0, lines = 0;
  const reasons = new Map<string, number>();
  for (const [f, path] of report.files.entries()) {
    const payload = readFileSync(path);
    assert.notEqual(payload[payload.length - 1], 10, 'last line has no newline');
    // Cut into chunks as the reader does (its line limit makes over-long lines line_too_long).
    const chunker = new Chunker(f + 1, { maxLines: 5_000, maxBytes: 1 << 20, maxLineBytes: 64 * 1024 });
    for (const chunk of chunker.finish(chunker.feed(payload))) {
      const { rows } = parseChunk(chunk);
      records += rows.records;
      quarantined += rows.quarantined;
      blank += rows.blank;
      lines += rows.lineCount;
      for (const [key, n] of rows.reasons) {
        const r = key.split('\t')[1];
        reasons.set(r, (reasons.get(r) ?? 0) + n);
      }
    }
  }
  assert.equal(lines, report.lines);
  assert.equal(records, Object.values(report.records).reduce((a, b) => a + b, 0));
  assert.equal(blank, report.blank);
  assert.equal(quarantined, report.quarantined);
  assert.deepEqual(Object.fromEntries(reasons), report.quarantinedByReason);
});

test('--days spreads every file over the days, timestamps increasing within each file', () => {
  const out = temp.dir();
  const start = Date.UTC(2024, 0, 15);
  const report = generate({ files: 3, lines: 2_000, out, seed: 4, dirty: 0, start, days: 2 });
  for (const f of report.files) {
    const ts = readFileSync(f, 'utf8').trim().split('\n').map((l) => Date.parse(l.slice(0, 24)));
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i] >= ts[i - 1], `${f}: line ${i + 1} is not before line ${i}`);
    assert.ok(ts[0] >= start && ts[0] < start + 3_600_000, 'starts at the start');
    assert.ok(ts[ts.length - 1] < start + 2 * 86_400_000 && ts[ts.length - 1] > start + 2 * 86_400_000 - 3_600_000, 'ends at the end of the window');
  }
});
