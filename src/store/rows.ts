/**
 * What one chunk becomes for the store: COPY rows per log table, quarantine rows, and the counts
 * the ledger, the rollups and the metrics need. The processor's parse threads build it
 * (src/processor/parse-chunk.ts); the ledger writes it (src/store/ledger.ts).
 */
import { ROLLUPS } from '../logtypes/rollups.js';
import { CopyBuffer } from './copy-buffer.js';

export interface ChunkRows {
  /** COPY text rows per log type (index into LOG_TYPES). */
  rows: CopyBuffer[];
  /** COPY text rows for logpipe.quarantine. */
  quarantine: CopyBuffer;
  records: number;
  quarantined: number;
  blank: number;
  lineCount: number;
  /** The newest record's time (ms), or null without records: the ledger row's age for retention. */
  lastMs: number | null;
  /** packTypeKey(day, typeIndex) of the rows (partitions needed). */
  days: Set<number>;
  /** packTypeKey(hour since the epoch, typeIndex) → events, for the hourly rollup. */
  hours: Map<number, number>;
  /** The records counted into every declared rollup (src/logtypes/rollups.ts), as column strings. */
  rollups: RollupColumns[];
  /** Quarantined lines per `log type name (or none)` TAB `reason`, for metrics and logpipe.quarantine_counts. */
  reasons: Map<string, number>;
}

// Numeric map keys, so counting costs no string per line: a type index fits in 4 bits.
export const packTypeKey = (n: number, typeIndex: number) => n * 16 + typeIndex;
export const unpackTypeKey = (k: number): [n: number, typeIndex: number] => [Math.floor(k / 16), k % 16];

/** A rollup's counts of a chunk (or a batch): column name → newline-joined values, and how many rows. */
export interface RollupColumns {
  rows: number;
  /** bucket (hour or day number since the epoch; 0 for 'all'), the key columns, then events[, first, last ms] (none for a presence rollup). */
  columns: string[];
}

/** Appends the counts of another chunk of the same batch (PostgreSQL sums the duplicates). */
export function appendRollupColumns(into: RollupColumns[], from: RollupColumns[]): void {
  from.forEach((r, i) => {
    if (r.rows === 0) return;
    if (into[i].rows === 0) into[i] = { rows: r.rows, columns: [...r.columns] };
    else into[i] = { rows: into[i].rows + r.rows, columns: into[i].columns.map((c, j) => `${c}\n${r.columns[j]}`) };
  });
}

export function emptyRollupColumns(): RollupColumns[] {
  return ROLLUPS.map(() => ({ rows: 0, columns: [] }));
}

export function emptyRows(typeCount: number): ChunkRows {
  return {
    rows: Array.from({ length: typeCount }, () => new CopyBuffer()), quarantine: new CopyBuffer(), records: 0, quarantined: 0, blank: 0, lineCount: 0, lastMs: null,
    days: new Set(), hours: new Map(), rollups: [], reasons: new Map(),
  };
}
