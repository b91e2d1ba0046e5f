/**
 * Filling the naive JSONB table by COPY with the seed's own parser (not timed): what the naive
 * pipeline would have written, so that the analysts' questions can be timed on it at any size.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { escapeCopyText } from '../store/copy-text.js';
import { naiveParse } from './parse.js';
import { createNaiveTable } from './schema.js';

/** COPYs every line of `files` the naive parsers accept, after the first `skipLines` non-empty ones; returns rows written. */
export async function copyNaiveRows(client: pg.ClientBase, files: string[], skipLines = 0): Promise<number> {
  await createNaiveTable(client);
  let seen = 0;
  let written = 0;
  async function* rows() {
    for (const f of files) {
      const name = basename(f);
      let batch = '';
      for await (const raw of createInterface({ input: createReadStream(f), crlfDelay: Infinity })) {
        const line = raw.trim();
        if (!line || seen++ < skipLines) continue;
        const r = naiveParse(line);
        if (!r) continue;
        written++;
        batch += `${r.logType}\t${escapeCopyText(line)}\t${escapeCopyText(r.timestamp)}\t${escapeCopyText(name)}\t${escapeCopyText(JSON.stringify(r.parsed))}\n`;
        if (batch.length > 1 << 16) {
          yield batch;
          batch = '';
        }
      }
      if (batch) yield batch;
    }
  }
  await pipeline(rows(), client.query(copyFrom('COPY logs (log_type, raw_line, timestamp, source_file, parsed_data) FROM STDIN')));
  await client.query('VACUUM ANALYZE logs');
  return written;
}
