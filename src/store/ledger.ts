/**
 * Commits parsed chunks exactly once. In ONE transaction: the chunks' byte ranges go into the
 * ledger (logpipe.chunks), their records into the typed tables, their rejected lines into
 * quarantine and their counts into the rollups. The ledger's no-overlap constraint makes a
 * redelivered chunk a no-op, and a chunk that overlaps committed ones only partly (re-cut after
 * a restart with different boundaries) writes just the lines not yet committed.
 */
import type pg from 'pg';
import { LOG_TYPES } from '../logtypes/registry.js';
import { unpackTypeKey, type ChunkRows, type Segment } from '../processor/parse-chunk.js';
import type { Chunk } from '../queue/chunk.js';
import { appendRollupColumns, emptyRollupColumns } from '../processor/rollup-counts.js';
import { copyRows, copySqlFor, QUARANTINE_COPY_SQL } from './copy.js';
import { writeRollups } from './rollups.js';
import { PartitionManager } from './partitions.js';
import { BOOK_SCHEMA } from './schema.js';

export interface PreparedChunk {
  chunk: Chunk;
  rows: ChunkRows;
}

export interface CommitOutcome {
  /** Chunks whose rows were written (fully or, after an overlap, partly). */
  written: number;
  /** Chunks already fully in the ledger: acknowledged without writing. */
  duplicates: number;
  records: number;
  /** Records per log type (index into LOG_TYPES). */
  recordsByType: number[];
  quarantined: number;
  /** Quarantined lines per `log type (or none)` TAB `reason`. */
  quarantinedBy: Map<string, number>;
  blank: number;
}

/** Re-parses a chunk leaving out lines that committed chunks already cover. */
export type Reparse = (chunk: Chunk, skip: (lineNo: number) => boolean) => { rows: ChunkRows; segments: Segment[] };

interface LedgerRow {
  fileId: number;
  start: number;
  end: number;
  firstLine: number;
  lineCount: number;
  records: number;
  quarantined: number;
  blank: number;
}

async function insertLedger(client: pg.ClientBase, rows: LedgerRow[]): Promise<Set<string>> {
  const r = await client.query<{ file_id: number; start_offset: number }>(
    `INSERT INTO ${BOOK_SCHEMA}.chunks (file_id, start_offset, end_offset, first_line, line_count, records, quarantined, blank)
     SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::bigint[], $5::int[], $6::int[], $7::int[], $8::int[])
     ON CONFLICT DO NOTHING
     RETURNING file_id, start_offset`,
    [
      rows.map((r) => r.fileId), rows.map((r) => r.start), rows.map((r) => r.end), rows.map((r) => r.firstLine),
      rows.map((r) => r.lineCount), rows.map((r) => r.records), rows.map((r) => r.quarantined), rows.map((r) => r.blank),
    ],
  );
  return new Set(r.rows.map((x) => `${x.file_id}:${x.start_offset}`));
}

function ledgerRow(c: Chunk, rows: ChunkRows): LedgerRow {
  return {
    fileId: c.fileId, start: c.start, end: c.end, firstLine: c.firstLine, lineCount: c.lineCount,
    records: rows.records, quarantined: rows.quarantined, blank: rows.blank,
  };
}

/** The lines of `chunk` that committed ledger rows cover; null if the very same chunk is there. */
async function coveredLines(client: pg.ClientBase, c: Chunk): Promise<((lineNo: number) => boolean) | null> {
  const r = await client.query<{ start_offset: number; end_offset: number; first_line: number; line_count: number }>(
    `SELECT start_offset, end_offset, first_line, line_count FROM ${BOOK_SCHEMA}.chunks
      WHERE file_id = $1 AND int8range(start_offset, end_offset) && int8range($2, $3)`,
    [c.fileId, c.start, c.end],
  );
  if (r.rows.some((o) => o.start_offset === c.start && o.end_offset === c.end)) return null;
  const ranges = r.rows.map((o) => [o.first_line, o.first_line + o.line_count] as const);
  return (lineNo) => ranges.some(([a, b]) => lineNo >= a && lineNo < b);
}

export class OverlapRace extends Error {
  override name = 'OverlapRace';
}

export async function commitBatch(
  pool: pg.Pool,
  partitions: PartitionManager,
  batch: PreparedChunk[],
  reparse: Reparse,
): Promise<CommitOutcome> {
  const wanted: [(typeof LOG_TYPES)[number], number][] = [];
  const seen = new Set<number>();
  for (const p of batch) {
    for (const key of p.rows.days) {
      if (seen.has(key)) continue;
      seen.add(key);
      const [day, t] = unpackTypeKey(key);
      wanted.push([LOG_TYPES[t], day]);
    }
  }
  await partitions.ensure(pool, wanted);

  const outcome: CommitOutcome = {
    written: 0, duplicates: 0, records: 0, recordsByType: LOG_TYPES.map(() => 0), quarantined: 0, quarantinedBy: new Map(), blank: 0,
  };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const inserted = await insertLedger(client, batch.map((p) => ledgerRow(p.chunk, p.rows)));
    const toWrite: ChunkRows[] = [];
    for (const p of batch) {
      if (inserted.has(`${p.chunk.fileId}:${p.chunk.start}`)) {
        toWrite.push(p.rows);
        continue;
      }
      const covered = await coveredLines(client, p.chunk);
      if (covered === null) {
        outcome.duplicates++;
        continue;
      }
      // Partly committed already: write the rest, one ledger row per uncovered run of lines.
      const { rows, segments } = reparse(p.chunk, covered);
      const segmentRows = segments.map((s, i) => ({
        fileId: p.chunk.fileId, start: s.start, end: s.end, firstLine: s.firstLine, lineCount: s.lineCount,
        // Counts go on the first segment so per-file sums still add up.
        records: i === 0 ? rows.records : 0, quarantined: i === 0 ? rows.quarantined : 0, blank: i === 0 ? rows.blank : 0,
      }));
      if (segmentRows.length === 0) {
        outcome.duplicates++;
        continue;
      }
      const got = await insertLedger(client, segmentRows);
      if (got.size !== segmentRows.length) throw new OverlapRace(`chunk ${p.chunk.fileId}:${p.chunk.start} raced with another writer`);
      toWrite.push(rows);
    }

    for (let t = 0; t < LOG_TYPES.length; t++) {
      await copyRows(client, copySqlFor(LOG_TYPES[t]), toWrite.map((r) => r.rows[t]));
    }
    await copyRows(client, QUARANTINE_COPY_SQL, toWrite.map((r) => r.quarantine));
    await updateRollups(client, toWrite);
    await client.query('COMMIT');
    for (const r of toWrite) {
      outcome.written++;
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
