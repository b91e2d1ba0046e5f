/**
 * What crosses between the processor's main thread and its parse threads: an encoded chunk one
 * way, its COPY rows and counts the other, with the buffers moved (transferred), not copied.
 */
import type { Chunk, ChunkHeader } from '../queue/chunk.js';
import { CopyBuffer } from '../store/copy-buffer.js';
import type { ChunkRows } from './parse-chunk.js';

/** An encoded chunk on its way to a parse thread; the body arrives as a plain Uint8Array. */
export interface ParseRequest {
  id: number;
  header: string;
  body: Uint8Array;
}

/** ChunkRows with its buffers as plain bytes, as they cross the thread boundary. */
type WireRows = Omit<ChunkRows, 'rows' | 'quarantine'> & { rows: [Uint8Array, number][]; quarantine: [Uint8Array, number] };

export type ParseReply =
  | { id: number; ok: true; header: ChunkHeader; payload: Uint8Array; rows: WireRows; transfer: ArrayBuffer[] }
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

/** Worker side: a parsed chunk as a message, its buffers moved rather than copied. */
export function toTransfer(chunk: Chunk, rows: ChunkRows): Omit<Extract<ParseReply, { ok: true }>, 'id' | 'ok'> {
  const transfer: ArrayBuffer[] = [];
  const { payload, ...header } = chunk;
  const wire = (c: CopyBuffer): [Uint8Array, number] => [movable(c.bytes(), transfer), c.rows];
  return {
    header,
    payload: movable(payload, transfer),
    rows: { ...rows, rows: rows.rows.map(wire), quarantine: wire(rows.quarantine) },
    transfer,
  };
}

const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Main-thread side: the parsed chunk back in its usual shape. */
export function fromWire(reply: Extract<ParseReply, { ok: true }>): { chunk: Chunk; rows: ChunkRows } {
  const buf = ([bytes, n]: [Uint8Array, number]) => CopyBuffer.of(asBuffer(bytes), n);
  const r = reply.rows;
  return { chunk: { ...reply.header, payload: asBuffer(reply.payload) }, rows: { ...r, rows: r.rows.map(buf), quarantine: buf(r.quarantine) } };
}
