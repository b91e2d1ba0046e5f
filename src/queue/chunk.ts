/**
 * A chunk: consecutive raw lines of one file, the unit that travels through the queue and is
 * committed to the ledger. Its id (file + byte range) is stable because the reader cuts chunks
 * deterministically, so a redelivered or re-read chunk is recognised.
 */
import { createRequire as requireFrom } from 'node:module';
import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync } from 'node:zlib';
import type { FileRange } from '../core/range.js';

const deflate = promisify(deflateRaw);

/** A queue message that is not a consistent logpipe chunk: nothing can be committed for it. */
export class BadChunk extends Error {
  override name = 'BadChunk';
}

/** What travels beside the compressed lines: the chunk's range in its file, and what parsing its lines needs. */
export interface ChunkHeader extends FileRange {
  /** Lines cut because they exceeded the line limit: [index in chunk, original byte length]. */
  truncated?: [number, number][];
  /** The input's IANA zone for stamps without one (input.timezone); absent: UTC. */
  tz?: string;
  /** A fixed year for RFC 3164 stamps (input.year); absent: from `mtime`. */
  year?: number;
  /** The file's modification time (ms) when the chunk was read: RFC 3164 stamps take their year from it. */
  mtime?: number;
  /** How the body is compressed (queue.codec); absent: deflate, as every reader before codecs wrote. */
  z?: 'lz4' | 'zstd' | 'none';
}

export interface Chunk extends ChunkHeader {
  /** The lines, each ending in \n except possibly the last (a final line without newline). */
  payload: Buffer;
}

export interface EncodedChunk {
  header: string;
  body: Buffer;
}

/**
 * How a chunk's lines travel (queue.codec). `node scripts/measure.mjs codecs` on the 1M set
 * (CPU-seconds per million lines to compress / to decompress, and size): lz4 0.28 / 0.09, 3.3×
 * smaller; zstd 0.54 / 0.23, 5.4×; deflate level 1 0.81 / 0.19, 4.7× (level 6: 1.85 / 0.21,
 * 6.0×); none 0 / 0. zstd is smaller than deflate for less CPU; lz4 is the least CPU.
 */
export const CODECS = ['deflate', 'lz4', 'zstd', 'none'] as const;
export type Codec = (typeof CODECS)[number];

type Lz4 = { compress(b: Buffer): Promise<Buffer>; uncompressSync(b: Uint8Array): Buffer };
let lz4: Lz4 | null = null;
/** lz4-napi, a native module: loaded (from node_modules, not the bundle) only when lz4 is used. */
const lz4Codec = (): Lz4 => (lz4 ??= requireFrom(import.meta.url)('lz4-napi') as Lz4);

/** @mongodb-js/zstd 1.x: asynchronous only (it runs on libuv's pool), at zstd's default level 3 whatever level it is given. */
type Zstd = { compress(b: Buffer, level: number): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
let zstd: Zstd | null = null;
/** A native module as lz4-napi is: loaded only when zstd is used. */
const zstdCodec = (): Zstd => (zstd ??= requireFrom(import.meta.url)('@mongodb-js/zstd') as Zstd);
const ZSTD_LEVEL = 3;

/**
 * zlib's output buffer is sized to the input (compressed text is smaller), not left at 16 KB:
 * fewer pieces to gather and join (measured: 15% less CPU to compress, 35% less to decompress).
 */
export async function encodeChunk(chunk: Chunk, codec: Codec = 'deflate'): Promise<EncodedChunk> {
  const { payload, ...header } = chunk;
  if (codec === 'none') return { header: JSON.stringify({ ...header, z: 'none' }), body: payload };
  if (codec === 'lz4') return { header: JSON.stringify({ ...header, z: 'lz4' }), body: await lz4Codec().compress(payload) };
  if (codec === 'zstd') return { header: JSON.stringify({ ...header, z: 'zstd' }), body: await zstdCodec().compress(payload, ZSTD_LEVEL) };
  return { header: JSON.stringify(header), body: await deflate(payload, { level: 1, chunkSize: outputSize(payload.length) }) };
}

/** zlib output buffer for about `bytes` of output: all of it at once, up to 16 MiB a piece. */
function outputSize(bytes: number): number {
  return Math.min(Math.max(bytes, 64 * 1024), 16 * 1024 * 1024);
}

/**
 * Runs on a parse thread (src/processor/parse-worker.ts), never the event loop: synchronous but
 * for zstd. A chunk's lines are never more bytes than its range in the file (long lines are cut
 * shorter), so a body that would decompress to more is refused before it is decompressed: a
 * message that expands without bound (forged, or corrupt) must not take the parse thread's
 * memory, or every processor it is delivered to.
 */
export async function decodeChunk(encoded: { header: string; body: Uint8Array }): Promise<Chunk> {
  try {
    const { z, ...header } = JSON.parse(encoded.header) as ChunkHeader;
    const limit = header.end - header.start;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`byte range ${header.start}-${header.end}`);
    // A Buffer over the body's bytes, not a copy.
    const body = Buffer.from(encoded.body.buffer, encoded.body.byteOffset, encoded.body.byteLength);
    const payload = await decompress(z, body, limit);
    if (payload.length > limit) throw new Error(`${payload.length} bytes of lines for a range of ${limit}`);
    return { ...header, payload };
  } catch (err) {
    throw new BadChunk(`not a logpipe chunk: ${(err as Error).message}`);
  }
}

async function decompress(z: ChunkHeader['z'], body: Buffer, limit: number): Promise<Buffer> {
  if (z === 'none') return body;
  if (z === 'lz4') {
    // lz4-napi's format starts with the decompressed size (4 bytes, little-endian), which it allocates.
    if (body.length < 4 || body.readUInt32LE(0) > limit) throw new Error(`lz4 body declares more bytes than the chunk's range of ${limit}`);
    return lz4Codec().uncompressSync(body);
  }
  if (z === 'zstd') {
    if (zstdBound(body) > limit + ZSTD_BLOCK_MAX) throw new Error(`zstd body may hold more bytes than the chunk's range of ${limit}`);
    return zstdCodec().decompress(body);
  }
  // The byte range bounds the payload's size: one output buffer, nothing to join.
  return inflateRawSync(body, { chunkSize: outputSize(limit), maxOutputLength: Math.max(limit, 1) });
}

/** zstd's largest block, decompressed (its format's Block_Maximum_Size). */
const ZSTD_BLOCK_MAX = 128 * 1024;

/**
 * The most bytes a zstd body can decompress to, from its frame and block headers alone (RFC 8878
 * §3.1): raw and RLE blocks say their size, a compressed block is at most 128 KB. Infinity for
 * anything else (skippable or unknown frames, a reserved block type, a body cut short).
 */
function zstdBound(b: Buffer): number {
  let pos = 0;
  let out = 0;
  while (pos < b.length) {
    if (pos + 5 > b.length || b.readUInt32LE(pos) !== 0xfd2fb528) return Infinity;
    const fhd = b[pos + 4];
    const single = (fhd >> 5) & 1;
    const fcsFlag = fhd >> 6;
    pos += 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3] + (fcsFlag === 0 ? single : 1 << fcsFlag);
    for (let last = 0; !last; ) {
      if (pos + 3 > b.length) return Infinity;
      const h = b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16);
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      last = h & 1;
      pos += 3;
      if (type === 0) (out += size), (pos += size); // raw
      else if (type === 1) (out += size), (pos += 1); // RLE: one byte, repeated
      else if (type === 2) (out += ZSTD_BLOCK_MAX), (pos += size); // compressed
      else return Infinity;
    }
    if ((fhd >> 2) & 1) pos += 4; // content checksum
  }
  return pos === b.length ? out : Infinity;
}

/** Room a message needs besides its lines: the header, and a codec's worst case on incompressible bytes (deflate ~0.03%, lz4 and zstd ~0.4%). */
export const MESSAGE_OVERHEAD = 8 * 1024;

/** The largest chunk (raw bytes) a queue taking messages of at most `maxMessageBytes` can carry, given the configured one. */
export function chunkBytesFor(configured: number, maxMessageBytes: number | null): number {
  return maxMessageBytes === null ? configured : Math.min(configured, maxMessageBytes - MESSAGE_OVERHEAD);
}
