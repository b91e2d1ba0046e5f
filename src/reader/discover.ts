/**
 * Which files to read. LOG_DIR (or the paths given, which replace it) is walked recursively;
 * a file is taken when its name matches an include pattern and no exclude pattern. Symbolic
 * links are followed (to files and to directories, without looping), and a file reached by two
 * paths is listed once. An explicit file path is taken whatever its name; an explicit glob
 * (`/var/log/containers/*.log`) selects by itself. What cannot be read is reported per path,
 * never a reason to stop: the other files go on.
 */
import { readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import picomatch from 'picomatch';
import { ConfigError } from '../config/load.js';

export interface InputSelection {
  /** Files, directories or globs; relative ones against the working directory. */
  roots: string[];
  /** Patterns a file name (or its path below a root, if the pattern has a slash) must match. */
  include: string[];
  exclude: string[];
}

export interface InputProblem {
  path: string;
  code: string;
  message: string;
}

export interface Discovery {
  /** Absolute paths, sorted, each file once. */
  files: string[];
  problems: InputProblem[];
}

const problem = (path: string, err: unknown): InputProblem => {
  const e = err as NodeJS.ErrnoException;
  return { path, code: e.code ?? 'EUNKNOWN', message: e.message ?? String(err) };
};

/**
 * Every root must exist (a misspelt LOG_DIR or path is a configuration error, exit 2, never
 * "0 records"); what lies below them is listed with the per-path problems met on the way.
 */
export async function discover(sel: InputSelection): Promise<Discovery> {
  const files: string[] = [];
  const problems: InputProblem[] = [];
  const seenFiles = new Set<string>(); // dev:ino of files taken
  const exclude = sel.exclude.length ? picomatch(sel.exclude, { basename: true, dot: true }) : () => false;
  const defaultMatch = picomatch(sel.include, { basename: true, dot: true });

  const take = (path: string, st: Stats) => {
    const id = `${st.dev}:${st.ino}`;
    if (seenFiles.has(id)) return; // the same file by another path (a link): read once
    seenFiles.add(id);
    files.push(path);
  };

  const walk = async (root: string, dir: string, match: (rel: string) => boolean, depth: number, visited: Set<string>) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      problems.push(problem(dir, err));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = join(dir, e.name);
      const rel = relative(root, path);
      if (exclude(rel)) continue;
      let isDir = e.isDirectory();
      let st: Stats | null = null;
      if (e.isSymbolicLink()) {
        try {
          st = await stat(path);
          isDir = st.isDirectory();
        } catch (err) {
          // A dangling (or looping) link is worth a word only where a log was expected.
          if (match(rel)) problems.push(problem(path, err));
          continue;
        }
      }
      if (isDir) {
        if (depth === 0) continue;
        try {
          const ds = st ?? (await stat(path));
          const id = `${ds.dev}:${ds.ino}`;
          if (visited.has(id)) continue; // a link back up the tree
          await walk(root, path, match, depth - 1, new Set([...visited, id]));
        } catch (err) {
          problems.push(problem(path, err));
        }
        continue;
      }
      if (!match(rel)) continue;
      try {
        st ??= await stat(path);
        if (st.isFile()) take(path, st);
        // FIFOs, sockets and devices are never logs to read to their end.
        else problems.push({ path, code: 'ENOTFILE', message: `${path} is not a regular file` });
      } catch (err) {
        problems.push(problem(path, err)); // vanished since listed
      }
    }
  };

  for (const given of sel.roots) {
    const scan = picomatch.scan(given);
    const root = resolve(scan.isGlob ? scan.base || '.' : given);
    let st: Stats;
    try {
      st = await stat(root);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ConfigError(`input ${given} does not exist (check LOG_DIR, inputs or the paths given)`);
      problems.push(problem(root, err));
      continue;
    }
    if (st.isDirectory()) {
      const rootId = `${st.dev}:${st.ino}`;
      if (scan.isGlob) {
        const glob = picomatch(scan.glob, { dot: true });
        const depth = scan.glob.includes('**') ? Infinity : scan.glob.split('/').length - 1;
        await walk(root, root, glob, depth, new Set([rootId]));
      } else {
        await walk(root, root, defaultMatch, Infinity, new Set([rootId]));
      }
    } else if (st.isFile()) {
      take(root, st);
    } else {
      problems.push({ path: root, code: 'ENOTFILE', message: `${root} is not a regular file or a directory` });
    }
  }
  files.sort();
  return { files, problems };
}
