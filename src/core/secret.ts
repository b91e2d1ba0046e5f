import { readFileSync } from 'node:fs';

/** A secret from a file (its final newline dropped); an unreadable file is an error naming the setting, never the content. */
export function readSecret(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new Error(`${setting}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
