import { readFileSync } from 'node:fs';

/** A secret's file that cannot be read: a configuration error, named by its setting. */
export class SecretFileError extends Error {
  override name = 'SecretFileError';
}

/** A secret from a file (its final newline dropped); an unreadable file is an error naming the setting, never the content. */
export function readSecret(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new SecretFileError(`${setting}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
