/**
 * The benchmark's data set: a directory of log files. Its shape (how many files, how many lines)
 * comes from the directory when it holds files; it is generated with the asked shape when it is
 * missing or empty. A shape asked for on the command line that the directory does not have is
 * an error, never silently ignored.
 */
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { generate } from '../generator/generate.js';
import { naiveParse } from '../naive/parse.js';

export interface DataSet {
  dir: string;
  files: string[];
  /** Lines per file, in the order of `files`. */
  lines: number[];
  totalLines: number;
}

export interface DataSetRequest {
  dir: string;
  files: number;
  linesPerFile: number;
  seed: number;
  /** Whether --files / --lines were given (not defaults): the directory must then have that shape. */
  filesGiven: boolean;
  linesGiven: boolean;
  log: (msg: string) => void;
}

/** The exact error to show when a directory does not match the asked shape. */
export class DataSetMismatch extends Error {
  override name = 'DataSetMismatch';
}

function logFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /\.log$/.test(f)).sort().map((f) => join(dir, f));
}

export function countLines(path: string): number {
  const buf = readFileSync(path);
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  if (buf.length > 0 && buf[buf.length - 1] !== 10) n++;
  return n;
}

export function openDataSet(r: DataSetRequest): DataSet {
  const dir = resolve(r.dir);
  let files = logFiles(dir);
  if (files.length === 0) {
    r.log(`generating ${r.files} × ${r.linesPerFile.toLocaleString('en-US')} lines into ${dir} …`);
    generate({ files: r.files, lines: r.linesPerFile, out: dir, seed: r.seed, dirty: 0 });
    files = logFiles(dir);
  }
  const lines = files.map(countLines);
  const set: DataSet = { dir, files, lines, totalLines: lines.reduce((a, b) => a + b, 0) };
  const uniform = lines.every((n) => n === lines[0]);
  const shape = uniform ? `${files.length} files of ${lines[0].toLocaleString('en-US')} lines` : `${files.length} files, ${set.totalLines.toLocaleString('en-US')} lines`;
  const wrongFiles = r.filesGiven && files.length !== r.files;
  const wrongLines = r.linesGiven && !(uniform && lines[0] === r.linesPerFile);
  if (wrongFiles || wrongLines) {
    const asked = `${r.filesGiven ? `${r.files} files` : 'files'}${r.linesGiven ? ` of ${r.linesPerFile.toLocaleString('en-US')} lines` : ''}`;
    throw new DataSetMismatch(
      `${dir} holds ${shape}, not the ${asked} asked for: ` +
        'leave out --files/--lines to use it as it is, or name another (or an empty) --data directory to generate that shape',
    );
  }
  return set;
}

/** The naive run's input: the first `max` non-empty lines, and how many of them its parsers accept. */
export async function naiveSubset(set: DataSet, max: number): Promise<{ lines: number; expected: number }> {
  let lines = 0;
  let expected = 0;
  for (const f of set.files) {
    for await (const raw of createInterface({ input: createReadStream(f), crlfDelay: Infinity })) {
      const line = raw.trim();
      if (!line) continue;
      if (lines === max) break;
      lines++;
      if (naiveParse(line)) expected++;
    }
    if (lines === max) break;
  }
  return { lines, expected };
}
