/**
 * Opening one input file: whether it is gzip (by its magic bytes, not its name: logrotate's
 * `app.log.2.gz` and a gzip without the suffix alike), its size and mtime, and the first bytes
 * that identify it, decompressed for gzip so that a file compressed by rotation is recognised as
 * the file it was.
 */
import { createReadStream, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { FINGERPRINT_BYTES } from '../store/files.js';

export interface Source {
  path: string;
  /** Open for reading; the caller closes it (plain files are read from it while it grows). */
  fh: FileHandle;
  stat: Stats;
  compressed: boolean;
  /** Up to FINGERPRINT_BYTES of (decompressed) content; empty: the file has no identity yet. */
  head: Buffer;
}

/** First `n` decompressed bytes of a gzip file. */
async function gunzipHead(path: string, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  const stream = createReadStream(path, { highWaterMark: 16 * 1024 }).pipe(createGunzip());
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      parts.push(piece);
      got += piece.length;
      if (got >= n) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, n);
}

/** Opens a file; throws the system error (EACCES, ENOENT, EISDIR, ELOOP…) or zlib's for a corrupt gzip. */
export async function openSource(path: string): Promise<Source> {
  const fh = await open(path, 'r');
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOTFILE' });
    const first = Buffer.alloc(FINGERPRINT_BYTES);
    const { bytesRead } = await fh.read(first, 0, FINGERPRINT_BYTES, 0);
    const compressed = bytesRead >= 2 && first[0] === 0x1f && first[1] === 0x8b;
    const head = compressed ? await gunzipHead(path, FINGERPRINT_BYTES) : first.subarray(0, bytesRead);
    return { path, fh, stat, compressed, head };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** The decompressed content of a gzip file, as a stream of buffers. */
export function gunzipStream(path: string, highWaterMark: number): AsyncIterable<Buffer> & { destroy(): void } {
  return createReadStream(path, { highWaterMark }).pipe(createGunzip()) as unknown as AsyncIterable<Buffer> & { destroy(): void };
}
