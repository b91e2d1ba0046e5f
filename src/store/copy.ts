/** COPY FROM STDIN through pg-copy-streams; the stream finishing means PostgreSQL took every row. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { LogType } from '../logtypes/types.js';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from './copy-binary.js';
import type { CopyBuffer, CopyFormat } from './copy-buffer.js';
import { BOOK_SCHEMA, tableColumns } from './schema.js';

/**
 * COPYs already-encoded rows of one table; several buffers (one per chunk, each a few parts) go
 * in one COPY per format (a batch's chunks all have the processor's format; mixed, two COPYs).
 */
export async function copyRows(client: pg.ClientBase, sql: (format: CopyFormat) => string, buffers: CopyBuffer[]): Promise<void> {
  for (const format of ['text', 'binary'] as const) {
    const parts = buffers.filter((b) => b.format === format).flatMap((b) => b.parts());
    if (parts.length === 0) continue;
    const all = format === 'binary' ? [COPY_BINARY_HEADER, ...parts, COPY_BINARY_TRAILER] : parts;
    await pipeline(Readable.from(all), client.query(copyFrom(sql(format))));
  }
}

export function copySqlFor(type: LogType): (format: CopyFormat) => string {
  const sql = `COPY public.${type.table} (${tableColumns(type).map((c) => c.name).join(', ')}) FROM STDIN`;
  return (format) => (format === 'binary' ? `${sql} WITH (FORMAT binary)` : sql);
}

/** Quarantine rows are always text (they are few; their raw bytes go as bytea's hex form). */
export const QUARANTINE_COPY_SQL = () => `COPY ${BOOK_SCHEMA}.quarantine (file_id, line_no, log_type, reason, detail, raw) FROM STDIN`;
