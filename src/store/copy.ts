/** COPY FROM STDIN through pg-copy-streams; the stream finishing means PostgreSQL took every row. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { LogType } from '../logtypes/types.js';
import { BOOK_SCHEMA, tableColumns } from './schema.js';

const ROWS_PER_WRITE = 2000;

function* joined(rowGroups: string[][]): Generator<string> {
  for (const rows of rowGroups) {
    for (let i = 0; i < rows.length; i += ROWS_PER_WRITE) yield rows.slice(i, i + ROWS_PER_WRITE).join('');
  }
}

/** COPYs already-encoded text rows; several groups (one per chunk) go in one COPY. */
export async function copyRows(client: pg.ClientBase, sql: string, rowGroups: string[][]): Promise<void> {
  if (rowGroups.every((g) => g.length === 0)) return;
  await pipeline(Readable.from(joined(rowGroups)), client.query(copyFrom(sql)));
}

export function copySqlFor(type: LogType): string {
  return `COPY public.${type.table} (${tableColumns(type).map((c) => c.name).join(', ')}) FROM STDIN`;
}

export const QUARANTINE_COPY_SQL = `COPY ${BOOK_SCHEMA}.quarantine (file_id, line_no, log_type, reason, detail, raw) FROM STDIN`;
