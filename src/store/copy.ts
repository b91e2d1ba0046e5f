/** COPY FROM STDIN through pg-copy-streams; the stream finishing means PostgreSQL took every row. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { LogType } from '../logtypes/types.js';
import type { CopyBuffer } from './copy-buffer.js';
import { BOOK_SCHEMA, tableColumns } from './schema.js';

/** COPYs already-encoded rows; several buffers (one per chunk, each a few parts) go in one COPY. */
export async function copyRows(client: pg.ClientBase, sql: string, buffers: CopyBuffer[]): Promise<void> {
  const parts = buffers.flatMap((b) => b.parts());
  if (parts.length === 0) return;
  await pipeline(Readable.from(parts), client.query(copyFrom(sql)));
}

export function copySqlFor(type: LogType): string {
  return `COPY public.${type.table} (${tableColumns(type).map((c) => c.name).join(', ')}) FROM STDIN`;
}

export const QUARANTINE_COPY_SQL = `COPY ${BOOK_SCHEMA}.quarantine (file_id, line_no, log_type, reason, detail, raw) FROM STDIN`;
