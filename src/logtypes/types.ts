/**
 * The contract every log type implements. A log type is one module (src/logtypes/<name>/) that
 * says which syslog programs and which message shapes are its own, how to parse a message into
 * typed values, which columns and indexes its table has, and how to generate sample lines. The
 * envelope (stamp, host, program) is parsed before, once per line (src/logtypes/envelope/). The
 * DDL, the COPY column lists, the schema docs and the conformance tests derive from these
 * declarations.
 */
import type { Rng } from '../core/rng.js';
import type { Envelope, EnvelopeReader } from './envelope/types.js';
import type { Investigation } from './query/investigation.js';
import type { SharedPools } from './samples.js';

/** Why a line was quarantined. A fixed set: metrics and quarantine rows use these codes. */
export const REJECTION_REASONS = [
  'unknown_format', // no registered log type recognises the line, or its shape is wrong
  'bad_timestamp', // missing, malformed or impossible timestamp
  'bad_ip', // an address field is not a valid IPv4/IPv6 address
  'bad_number', // a port, pid or counter is not a number or out of range
  'missing_field', // a required field is absent or empty
  'line_too_long', // longer than chunk.maxLineBytes; only a prefix is kept as evidence
  'invalid_encoding', // invalid UTF-8 or a NUL byte
  'unsupported_message', // a well-formed line from a program no log type models, or a message of its program that is not kept
  'delivery_limit', // its chunk was delivered queue.maxDeliveries times without being committed (it crashed every processor that took it)
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export type PgType = 'timestamptz' | 'inet' | 'integer' | 'bigint' | 'text' | 'boolean' | 'jsonb' | 'enum';

export interface Column {
  name: string;
  type: PgType;
  nullable: boolean;
  doc: string;
  /**
   * For an enum: its labels, a set the parser guarantees (4 bytes a row instead of the text, and
   * still text to analysts). The type is logpipe.<log type>_<column>.
   */
  values?: readonly string[];
}

export interface IndexDef {
  /** Suffix of the index name: the index is called `<table>_<name>`. */
  name: string;
  /** Column list or expression, as it goes inside `CREATE INDEX … (<on>)`. */
  on: string;
  method?: 'btree' | 'brin';
  /** Storage parameters, as inside `WITH (…)`. */
  with?: string;
  /** Partial index predicate, without WHERE. */
  where?: string;
  /** Which analyst query (DESIGN §4) it serves, and why. Rendered into the DDL as a comment. */
  why: string;
}

/**
 * A rollup: events of a type counted per time bucket and key. Records with a null key are not
 * counted (a key is part of the table's primary key).
 */
export interface RollupDef {
  name: string;
  /** The time bucket (UTC): an hour, a day, or none (totals over everything). */
  grain: 'hour' | 'day' | 'all';
  /** Columns of the record it is kept by. */
  keys: string[];
  /** Only records whose `column` holds one of `values` are counted; 'watchedPorts' is the database's list (rollups.watchedPorts). */
  where?: { column: string; values: readonly (string | number)[] | 'watchedPorts' };
  /** Also keep the first and the last event time. */
  firstLast?: boolean;
  /**
   * Keep only that the key was seen in the bucket, no count (e.g. distinct clients of a domain):
   * a key met again leaves its row as it is (ON CONFLICT DO NOTHING) instead of updating it,
   * which PostgreSQL does for less. Not with firstLast or rankedBy.
   */
  presence?: boolean;
  /** An index for "top N by events" (e.g. 'dst_port, events DESC, src_ip, dst_ip'): a ranking read off its first entries. */
  rankedBy?: string;
  /** The question it answers. */
  why: string;
}

/**
 * One column value, in the column's order. jsonb values are plain objects; an inet value is the
 * address's text, or an IPv4 address's 32 bits as a number (fields.ts ipValue: what the parsers
 * give, cheaper to encode and to count by than the text).
 */
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
   * The order `logpipe maintain` rewrites a closed day's rows in (an expression list ending in
   * ts, as inside `CREATE INDEX … (<on>)`): the entity its per-entity question pivots on, so
   * that one entity's rows of the day sit on a few pages instead of one page each.
   */
  clusterBy?: { on: string; why: string };
  /**
   * Counts kept in the same transaction as the rows, for questions over everything (or long
   * windows) that no index answers without reading every row: each is a table
   * `logpipe.<type>_<name>`, created, filled and checked from this declaration.
   */
  rollups?: RollupDef[];
  /**
   * Syslog programs (tag or APP-NAME, without path) whose lines are this type's: a line from one
   * of them goes to this type alone, and if `recognise` refuses its message it is quarantined as
   * `unsupported_message` (a real auth.log holds many sshd messages that are not logins).
   */
  programs: readonly string[];
  /**
   * Cheap test on the message at `env.msgStart` (the line is trimmed, valid UTF-8, no NUL): is it
   * this type's? Lines without a program, or from a program no type claims, go to the first type
   * that recognises them. Must not allocate much.
   */
  recognise(line: string, env: Envelope): boolean;
  /** Pure and total: never throws, returns a record (values[0] is env.ts) or a rejection. */
  parse(line: string, env: Envelope): ParseResult;
  /** Envelopes of this type's own (a stamp format no other family has), tried after the built-in ones. */
  envelopes?: EnvelopeReader[];
  /** The analysts' questions of this type, for `logpipe query`, `logpipe queries` and queries/*.sql. */
  investigations?: Investigation[];
  /** Weight among the generated sample lines (the seed's mix: firewall 0.5, dns 0.3, auth 0.2). */
  sampleWeight: number;
  /** Generated when no `--types` are given: the seed's three are; a new type is not, so the seed's data stay as they were. */
  sampledByDefault: boolean;
  /** One sample line for the given timestamp text, drawn from the seed's value pools. */
  generate(rng: Rng, ts: string, pools: SharedPools): string;
  /** Lines this type must accept, in each envelope it meets (used by the conformance suite, the docs and the parse thread's warm-up). */
  examples: string[];
  /** Lines and the values they must give (column name → value): the conformance suite checks each. */
  cases?: { line: string; values: Record<string, Value> }[];
  /** Lines it must refuse, with the reason: every reason it can give, a broken stamp of each envelope it adds included. */
  rejects?: { line: string; reason: RejectionReason }[];
}

export function reject(reason: RejectionReason, detail: string): Rejected {
  return { ok: false, reason, detail };
}
