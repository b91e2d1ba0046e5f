/** Temporary directories (and files) a test file makes, removed together when it ends. */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class TempPaths {
  private readonly paths: string[] = [];

  /** `mode`: for directories another user must reach (an embedded cluster's postgres user, a permission test's). */
  constructor(private readonly prefix: string, private readonly mode?: number) {}

  /** A new, empty directory. */
  dir(): string {
    const d = mkdtempSync(join(tmpdir(), this.prefix));
    if (this.mode !== undefined) chmodSync(d, this.mode);
    this.paths.push(d);
    return d;
  }

  /** Removes `path` with the rest. */
  add(path: string): string {
    this.paths.push(path);
    return path;
  }

  removeAll(): void {
    for (const p of this.paths.splice(0)) rmSync(p, { recursive: true, force: true });
  }
}
