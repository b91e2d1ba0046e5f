/**
 * The layout's rules, checked on the sources: one folder per role whose imports never go round
 * in a circle, modules short enough to read, and unit tests that need no service.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { packagePath } from '../../src/core/paths.js';

const SRC = packagePath('src');
const MAX_LINES = 300;

function files(dir: string, ext = '.ts'): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

/** Relative imports of a module (static, dynamic and type-only alike), as absolute paths. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => resolve(dirname(file), m[1]));
}

/** src/<folder>/… → folder. */
const folderOf = (path: string) => relative(SRC, path).split(sep)[0];

test(`no module in src/ is longer than ${MAX_LINES} lines`, () => {
  const long = files(SRC)
    .map((f) => [relative(SRC, f), readFileSync(f, 'utf8').split('\n').length - 1] as const)
    .filter(([, n]) => n > MAX_LINES);
  assert.deepEqual(long, []);
});

test('no import cycle between the folders of src/', () => {
  const edges = new Map<string, Set<string>>();
  for (const f of files(SRC)) {
    const from = folderOf(f);
    for (const target of imports(f)) {
      const to = folderOf(target);
      if (to !== from && !to.startsWith('..')) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(to);
    }
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (n: string, path: string[]) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'open') {
      cycles.push([...path.slice(path.indexOf(n)), n].join(' → '));
      return;
    }
    state.set(n, 'open');
    for (const m of edges.get(n) ?? []) visit(m, [...path, n]);
    state.set(n, 'done');
  };
  for (const n of edges.keys()) visit(n, []);
  assert.deepEqual(cycles, []);
});

test('unit tests use no service: nothing of the test helpers that open databases or queues', () => {
  const unit = packagePath('test', 'unit');
  const offending = files(unit).filter((f) => imports(f).some((i) => /test[/\\]helpers[/\\](services|pipeline)/.test(i)));
  assert.deepEqual(offending.map((f) => relative(unit, f)), []);
});
