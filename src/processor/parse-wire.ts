/**
 * What crosses between the processor's main thread and its parse threads: an encoded chunk one
 * way, its COPY rows and counts the other, with the buffers moved (transferred), not copied;
 * and, once committed, the rows' segments back, to be written again.
 */
import type { FileRange } from '../core/range.js';
import type { ChunkHeader } from '../queue/chunk.js';
import { CopyBuffer, type CopyFormat } from '../store/copy-buffer.js';
import type { BatchItem } from '../store/ledger.js';
import type { ChunkRows } from '../store/rows.js';
import type { PrepareMode } from './parse-chunk.js';

/** An encoded chunk on its way to a parse thread, and how to prepare it; the body arrives as a plain Uint8Array. */
export interface ParseRequest {
  id: number;
  header: string;
  body: Uint8Array;
  mode: PrepareMode;
}

/** Segments of committed rows, moved back to a parse thread to be written again (src/store/copy-buffer.ts). */
export interface RecycleRequest {
  recycle: ArrayBuffer[];
}

/** A chunk ready for the ledger: its header (range and context), the parts to write, its rows. */
export interface PreparedChunk extends BatchItem {
  range: ChunkHeader;
}

/** ChunkRows with its buffers as plain bytes, as they cross the thread boundary. */
type WireBuffer = [parts: Uint8Array[], rows: number, format: CopyFormat];
type WireRows = Omit<ChunkRows, 'rows' | 'quarantine'> & { rows: WireBuffer[]; quarantine: WireBuffer };

/** A parse thread's first message: its thread id, for its CPU time (null where /proc does not tell). */
export interface ThreadHello {
  hello: { tid: number | null };
}

export type ParseReply =
  | { id: number; ok: true; header: ChunkHeader; segments: FileRange[]; rows: WireRows; transfer: ArrayBuffer[] }
  | { id: number; ok: false; badChunk: boolean; error: string };

/**
 * A view whose memory can be moved to the other thread. Small Buffers live in Node's shared 8 KB
 * pool, which must not be moved (it holds other buffers too): those are copied.
 */
function movable(b: Buffer, transfer: ArrayBuffer[]): Uint8Array {
  const ab = b.buffer as ArrayBuffer;
  if (ab.byteLength <= Buffer.poolSize) {
    const copy = new Uint8Array(b);
    transfer.push(copy.buffer);
    return copy;
  }
  if (!transfer.includes(ab)) transfer.push(ab);
  return new Uint8Array(ab, b.byteOffset, b.byteLength);
}

/** Worker side: a prepared chunk as a message, its buffers moved rather than copied (the payload stays behind). */
export function toTransfer(header: ChunkHeader, segments: FileRange[], rows: ChunkRows): Omit<Extract<ParseReply, { ok: true }>, 'id' | 'ok'> {
  const transfer: ArrayBuffer[] = [];
  const wire = (c: CopyBuffer): WireBuffer => [c.parts().map((p) => movable(p, transfer)), c.rows, c.format];
  return { header, segments, rows: { ...rows, rows: rows.rows.map(wire), quarantine: wire(rows.quarantine) }, transfer };
}

const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Main-thread side: the prepared chunk back in its usual shape. */
export function fromWire(reply: Extract<ParseReply, { ok: true }>): PreparedChunk {
  const buf = ([parts, n, format]: WireBuffer) => CopyBuffer.of(parts.map(asBuffer), n, format);
  const r = reply.rows;
  return { range: reply.header, segments: reply.segments, rows: { ...r, rows: r.rows.map(buf), quarantine: buf(r.quarantine) } };
}
