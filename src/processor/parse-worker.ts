/**
 * A parse thread: decodes and parses the chunks the ParsePool sends it and posts back their COPY
 * rows and counts. Pure CPU, so the processor's event loop stays free for PostgreSQL and Redis.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { currentThreadId } from '../core/usage.js';
import { LOG_TYPES } from '../logtypes/registry.js';
import { BadChunk, decodeChunk } from '../queue/chunk.js';
import { reuseSegments } from '../store/copy-buffer.js';
import { configureParsing, parseChunk, prepareChunk, type ParseSettings } from './parse-chunk.js';
import { toTransfer, type ParseReply, type ParseRequest, type RecycleRequest, type ThreadHello } from './parse-wire.js';

const port = parentPort;
if (!port) throw new Error('parse-worker runs as a worker thread of the processor');
configureParsing((workerData as { settings: ParseSettings }).settings);

/**
 * A fresh thread runs its first chunks in V8's interpreter, several times slower than once
 * compiled (measured: 37 ms for a first 5,000-line chunk against 11 ms warm). Parsing the
 * registry's example lines at start (~50 ms, once) takes that cost off the first batch.
 */
function warmUp(lines = 5_000): void {
  const examples = LOG_TYPES.flatMap((t) => t.examples);
  const rounds = Math.ceil(lines / examples.length);
  const payload = Buffer.from((examples.join('\n') + '\n').repeat(rounds));
  try {
    parseChunk({ fileId: 0, start: 0, end: payload.length, firstLine: 1, lineCount: rounds * examples.length, payload });
  } catch {
    // Only an optimisation: a bad example line is the conformance tests' business, not a reason to stop.
  }
}
port.postMessage({ hello: { tid: currentThreadId() } } satisfies ThreadHello);
warmUp();

port.on('message', async (msg: ParseRequest | RecycleRequest) => {
  if ('recycle' in msg) {
    reuseSegments(msg.recycle);
    return;
  }
  const { id, header, body, mode } = msg;
  let reply: ParseReply;
  try {
    const { payload, ...chunkHeader } = await decodeChunk({ header, body });
    const { rows, segments } = prepareChunk({ ...chunkHeader, payload }, mode);
    reply = { id, ok: true, ...toTransfer(chunkHeader, segments, rows) };
  } catch (err) {
    reply = { id, ok: false, badChunk: err instanceof BadChunk, error: (err as Error).message };
  }
  port.postMessage(reply, reply.ok ? reply.transfer : []);
});
