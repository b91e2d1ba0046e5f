/**
 * Commits parsed chunks exactly once. In ONE transaction: the chunks' ranges go into the ledger
 * (logpipe.chunks), their records into the typed tables, their rejected lines into quarantine and
 * their counts into the rollups. The ledger's no-overlap constraint makes a redelivered chunk a
 * no-op. A chunk that overlaps committed ranges only partly (cut again after a restart with other
 * boundaries) cannot be written as it is: the transaction is rolled back with PartlyCommitted,
 * naming what is covered, and the caller prepares just the lines not yet committed.
 */
import type pg from 'pg';
import { rangeKey, type FileRange } from '../core/range.js';
import { LOG_TYPES } from '../logtypes/registry.js';
import { copyRows, copySqlFor, QUARANTINE_COPY_SQL } from './copy.js';
import { PartitionManager } from './partitions.js';
import { writeRollups } from './rollups.js';
import { appendRollupColumns, emptyRollupColumns, unpackTypeKey, type ChunkRows } from './rows.js';
import { BOOK_SCHEMA } from './schema.js';

/** A chunk ready to commit: its range, the parts of it to write (the whole range, or what an overlap left), and its rows. */
export interface BatchItem {
  range: FileRange;
  /** Ledger rows to add: [range] for a whole chunk, the uncommitted runs after an overlap, [] if none are left. */
  segments: FileRange[];
  rows: ChunkRows;
}

/** What a batch, or a processor's life, committed. */
export interface CommitCounts {
  /** Chunks whose rows were written (fully or, after an overlap, partly). */
  chunks: number;
  /** Chunks already in the ledger: acknowledged without writing. */
  duplicates: number;
  records: number;
  quarantined: number;
  blank: number;
}

export interface CommitOutcome extends CommitCounts {
  /** Records per log type (index into LOG_TYPES). */
  recordsByType: number[];
  /** Quarantined lines per `log type (or none)` TAB `reason`. */
  quarantinedBy: Map<string, number>;
}

/** Some chunks of the batch overlap committed ranges partly: prepare their uncommitted lines and commit again. */
export class PartlyCommitted extends Error {
  override name = 'PartlyCommitted';
  constructor(readonly overlaps: { range: FileRange; covered: FileRange[] }[]) {
    super(`${overlaps.length} chunk(s) partly committed already: ${overlaps.map((o) => rangeKey(o.range)).join(', ')}`);
  }
}

interface LedgerRow extends FileRange {
  records: number;
  quarantined: number;
  blank: number;
  lastMs: number | null;
}

/** Adds ledger rows; returns the keys of those added (a conflicting one is not). */
async function insertLedger(client: pg.ClientBase, rows: LedgerRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const r = await client.query<{ file_id: number; start_offset: number; end_offset: number }>(
    `INSERT INTO ${BOOK_SCHEMA}.chunks (file_id, start_offset, end_offset, first_line, line_count, records, quarantined, blank, last_ts)
     SELECT f, s, e, l, n, r, q, b, to_timestamp(t / 1000.0) FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::bigint[], $5::int[], $6::int[], $7::int[], $8::int[], $9::float8[]) AS u(f, s, e, l, n, r, q, b, t)
     ON CONFLICT DO NOTHING
     RETURNING file_id, start_offset, end_offset`,
    [
      rows.map((r) => r.fileId), rows.map((r) => r.start), rows.map((r) => r.end), rows.map((r) => r.firstLine),
      rows.map((r) => r.lineCount), rows.map((r) => r.records), rows.map((r) => r.quarantined), rows.map((r) => r.blank), rows.map((r) => r.lastMs),
    ],
  );
  return new Set(r.rows.map((x) => rangeKey({ fileId: x.file_id, start: x.start_offset, end: x.end_offset })));
}

/** An item's ledger rows; its counts go on the first so that per-file sums add up. */
function ledgerRows(item: BatchItem): LedgerRow[] {
  return item.segments.map((s, i) => ({
    ...s, records: i === 0 ? item.rows.records : 0, quarantined: i === 0 ? item.rows.quarantined : 0, blank: i === 0 ? item.rows.blank : 0,
    lastMs: i === 0 ? item.rows.lastMs : null,
  }));
}

/** Committed ranges of the file that overlap `range`. */
export async function committedOverlapping(client: pg.ClientBase, range: FileRange): Promise<FileRange[]> {
  const r = await client.query<{ start_offset: number; end_offset: number; first_line: number; line_count: number }>(
    `SELECT start_offset, end_offset, first_line, line_count FROM ${BOOK_SCHEMA}.chunks
      WHERE file_id = $1 AND int8range(start_offset, end_offset) && int8range($2, $3) ORDER BY start_offset`,
    [range.fileId, range.start, range.end],
  );
  return r.rows.map((o) => ({ fileId: range.fileId, start: o.start_offset, end: o.end_offset, firstLine: o.first_line, lineCount: o.line_count }));
}

function emptyOutcome(): CommitOutcome {
  return { chunks: 0, duplicates: 0, records: 0, quarantined: 0, blank: 0, recordsByType: LOG_TYPES.map(() => 0), quarantinedBy: new Map() };
}

export async function commitBatch(pool: pg.Pool, partitions: PartitionManager, batch: BatchItem[]): Promise<CommitOutcome> {
  const wanted = new Map<number, [(typeof LOG_TYPES)[number], number]>();
  for (const item of batch) {
    for (const key of item.rows.days) {
      const [day, t] = unpackTypeKey(key);
      wanted.set(key, [LOG_TYPES[t], day]);
    }
  }
  await partitions.ensure(pool, [...wanted.values()]);

  const outcome = emptyOutcome();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const added = await insertLedger(client, batch.flatMap(ledgerRows));
    const toWrite: ChunkRows[] = [];
    const partly: FileRange[] = [];
    // A range added once belongs to the first item naming it: the same chunk twice in a batch
    // (delivered again while its first copy waited) is written once.
    const claimed = new Set<string>();
    for (const item of batch) {
      const keys = item.segments.map(rangeKey);
      if (keys.length > 0 && keys.every((k) => added.has(k) && !claimed.has(k))) {
        for (const k of keys) claimed.add(k);
        toWrite.push(item.rows);
        continue;
      }
      const covered = await committedOverlapping(client, item.range);
      const exact = covered.some((c) => c.start === item.range.start && c.end === item.range.end);
      // Every line is in the ledger already (a redelivery, or nothing left after an overlap): a duplicate.
      if (exact || item.segments.length === 0) outcome.duplicates++;
      else partly.push(item.range);
    }
    if (partly.length) {
      // What is covered, without this transaction's own rows.
      await client.query('ROLLBACK');
      const overlaps = [];
      for (const range of partly) overlaps.push({ range, covered: await committedOverlapping(client, range) });
      throw new PartlyCommitted(overlaps);
    }

    for (let t = 0; t < LOG_TYPES.length; t++) {
      await copyRows(client, copySqlFor(LOG_TYPES[t]), toWrite.map((r) => r.rows[t]));
    }
    await copyRows(client, QUARANTINE_COPY_SQL, toWrite.map((r) => r.quarantine));
    await updateRollups(client, toWrite);
    await client.query('COMMIT');
    for (const r of toWrite) {
      outcome.chunks++;
      outcome.records += r.records;
      outcome.quarantined += r.quarantined;
      outcome.blank += r.blank;
      r.rows.forEach((b, t) => (outcome.recordsByType[t] += b.rows));
      for (const [k, n] of r.reasons) outcome.quarantinedBy.set(k, (outcome.quarantinedBy.get(k) ?? 0) + n);
    }
    return outcome;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Quarantined lines per day of commit, log type and reason: what `status --watch` shows without scanning the quarantine. */
async function countQuarantine(client: pg.ClientBase, written: ChunkRows[]): Promise<void> {
  const by = new Map<string, number>();
  for (const r of written) for (const [k, n] of r.reasons) by.set(k, (by.get(k) ?? 0) + n);
  if (by.size === 0) return;
  const keys = [...by.keys()].sort(); // the same lock order in every transaction
  await client.query(
    `INSERT INTO ${BOOK_SCHEMA}.quarantine_counts AS c (day, log_type, reason, lines)
     SELECT current_date, split_part(k, E'\\t', 1), split_part(k, E'\\t', 2), n FROM unnest($1::text[], $2::bigint[]) AS u(k, n)
     ON CONFLICT (day, log_type, reason) DO UPDATE SET lines = c.lines + EXCLUDED.lines`,
    [keys, keys.map((k) => by.get(k)!)],
  );
}

async function updateRollups(client: pg.ClientBase, written: ChunkRows[]): Promise<void> {
  const hours = new Map<number, [number, number, number]>();
  const counts = emptyRollupColumns();
  for (const r of written) {
    for (const [k, n] of r.hours) {
      const h = hours.get(k);
      if (h) h[2] += n;
      else hours.set(k, [...unpackTypeKey(k), n]);
    }
    appendRollupColumns(counts, r.rollups);
  }
  await countQuarantine(client, written);
  await writeRollups(client, hours, counts);
}
