/**
 * --follow: the reader keeps reading growing files and picks up new, rotated and truncated ones
 * until stopped, polling every reader.pollMs. Files are read as in a batch pass (tail.ts); what
 * differs is when a file is finished: compressed, truncated away, or deleted.
 */
import { stat } from 'node:fs/promises';
import { wait } from '../core/wait.js';
import { recordProgress } from '../store/files.js';
import { discover } from './discover.js';
import type { Reader } from './reader.js';
import { FileTail } from './tail.js';

type Discovered = Awaited<ReturnType<typeof discover>>;

export async function follow(r: Reader, first: Discovered): Promise<void> {
  const tails = new Map<number, FileTail>();
  const byPath = new Map<string, number>();
  /** Files read to their end for good (compressed, truncated away, deleted). */
  const finished = new Set<number>();
  const finish = async (tail: FileTail, why: string) => {
    await tail.settle(true);
    await tail.flush();
    await r.db('file progress', () => recordProgress(r.pool, tail.id, tail.progress(false)));
    await tail.close();
    tails.delete(tail.id);
    finished.add(tail.id);
    for (const [p, id] of byPath) if (id === tail.id) byPath.delete(p);
    r.log.info({ file: tail.path, id: tail.id }, why);
  };
  let found = first;
  try {
    while (!r.stopped) {
      for (const p of found.problems) await r.inputFailed(p);
      for (const path of found.files) {
        if (byPath.has(path) || r.stopped) continue;
        const opened = await r.openTail(path, new Set(tails.keys()), true);
        if (opened === null) continue;
        if (!(opened instanceof FileTail)) {
          // A followed file under another name: renamed by rotation (same inode: follow the new
          // name), or a copy with the same first bytes (copytruncate: read once it is finished).
          const followed = tails.get(opened.sameAs)!;
          if (followed.inode === opened.inode) {
            byPath.delete(followed.path); // its old name may hold a new file now
            followed.path = path;
          }
          byPath.set(path, opened.sameAs);
          continue;
        }
        byPath.set(path, opened.id);
        if (finished.has(opened.id) || opened.compressed) {
          // A finished file met again (a rotated copy, or compressed by rotation): one pass for anything new.
          await r.pass(opened);
          finished.add(opened.id);
          continue;
        }
        tails.set(opened.id, opened);
        r.log.info({ file: path, id: opened.id }, 'following');
      }
      for (const tail of [...tails.values()]) {
        if (r.stopped) break;
        const state = await tail.readAvailable(() => r.stopped);
        if (state === 'truncated') {
          await finish(tail, 'file truncated: what was read stands, its new content is a new file');
          continue;
        }
        if (state === 'deleted') {
          await finish(tail, 'file deleted: read to its end');
          continue;
        }
        const since = tail.openSince;
        if (since !== null && Date.now() - since >= r.config.chunk.flushMs) await tail.flush();
        if (tail.heldBytes > 0 && (await tail.settle()) === 0) await tail.flush();
        await r.db('file progress', () => recordProgress(r.pool, tail.id, tail.progress(false)));
        // Its name now belongs to another file (rotation): the name is looked at afresh.
        const current = await stat(tail.path).catch(() => null);
        if (!current || current.ino !== tail.inode) byPath.delete(tail.path);
      }
      await wait(r.config.reader.pollMs, r.abort.signal);
      if (r.stopped) break;
      found = await discover(r.selection());
    }
  } finally {
    // Stopping: complete lines in hand are sent; a last line still being written waits for the next start.
    for (const tail of tails.values()) {
      await tail.flush().catch(() => {});
      await recordProgress(r.pool, tail.id, tail.progress(false)).catch(() => {});
      await tail.close();
    }
  }
}
