/** Files of the installed package, found from wherever this code runs (tsc output or the bundle). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

export function packagePath(...parts: string[]): string {
  if (!root) {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, 'package.json'))) {
      const up = dirname(dir);
      if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
      dir = up;
    }
    root = dir;
  }
  return join(root, ...parts);
}

/** The bundled CLI that `npm run build` writes and the `logpipe` bin runs. */
export const CLI_BUNDLE = (): string => packagePath('dist', 'logpipe.mjs');
