/**
 * The contract every log type implements. A log type is one module (src/logtypes/<name>/) that
 * says how to recognise its lines cheaply, how to parse them into typed values, which columns and
 * indexes its table has, and how to generate sample lines. The DDL, the COPY column lists, the
 * schema docs and the conformance tests are all derived from these declarations.
 */
import type { Rng } from '../generator/rng.js';
import type { SharedPools } from '../generator/pools.js';

/** Why a line was quarantined. A fixed set: metrics and quarantine rows use these codes. */
export const REJECTION_REASONS = [
  'unknown_format', // no registered log type recognises the line, or its shape is wrong
  'bad_timestamp', // missing, malformed or impossible timestamp
  'bad_ip', // an address field is not a valid IPv4/IPv6 address
  'bad_number', // a port, pid or counter is not a number or out of range
  'missing_field', // a required field is absent or empty
  'line_too_long', // longer than chunk.maxLineBytes; only a prefix is kept as evidence
  'invalid_encoding', // invalid UTF-8 or a NUL byte
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export type PgType = 'timestamptz' | 'inet' | 'integer' | 'bigint' | 'text' | 'boolean' | 'jsonb';

export interface Column {
  name: string;
  type: PgType;
  nullable: boolean;
  doc: string;
}

export interface IndexDef {
  /** Suffix of the index name: the index is called `<table>_<name>`. */
  name: string;
  /** Column list or expression, as it goes inside `CREATE INDEX … (<on>)`. */
  on: string;
  method?: 'btree' | 'brin';
  /** Partial index predicate, without WHERE. */
  where?: string;
  /** Which analyst query (DESIGN §4) it serves, and why. Rendered into the DDL as a comment. */
  why: string;
}

/** One column value, in the column's order. jsonb values are plain objects. */
export type Value = string | number | boolean | null | Record<string, string>;

export interface Parsed {
  ok: true;
  /** Milliseconds since the epoch, for choosing the daily partition. */
  epochMs: number;
  /** Values for `columns`, same order, same length (the first is the timestamp text). */
  values: Value[];
}

export interface Rejected {
  ok: false;
  reason: RejectionReason;
  /** Short human explanation (never a metric label). */
  detail: string;
}

export type ParseResult = Parsed | Rejected;

export interface LogType {
  /** Short name, used in metrics, docs and the `log_type` of quarantine rows. */
  name: string;
  /** Table in the public schema. */
  table: string;
  description: string;
  /** Columns of the record; the first is always `ts timestamptz not null`. Provenance columns are added by the store. */
  columns: Column[];
  indexes: IndexDef[];
  /**
   * Columns whose events per value per day are kept in logpipe.daily_key_counts, for questions
   * over everything that no index can answer without reading every row (Q5 top talkers).
   */
  rollupKeys?: { column: string; why: string }[];
  /**
   * Cheap test on a line (already trimmed, valid UTF-8, no NUL): does it look like this type?
   * Must not allocate much; the first type that recognises a line parses it.
   */
  recognise(line: string): boolean;
  /** Pure and total: never throws, returns a record or a rejection. */
  parse(line: string): ParseResult;
  /** Share of generated sample lines (the seed's mix: firewall 0.5, dns 0.3, auth 0.2). */
  sampleWeight: number;
  /** One sample line for the given timestamp text, drawn from the seed's value pools. */
  generate(rng: Rng, ts: string, pools: SharedPools): string;
  /** Real-world lines this type must accept (used by the conformance suite and docs). */
  examples: string[];
}

export function reject(reason: RejectionReason, detail: string): Rejected {
  return { ok: false, reason, detail };
}
