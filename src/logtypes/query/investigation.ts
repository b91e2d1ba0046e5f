/**
 * The analysts' questions as a log type declares them (`investigations` in its module): named
 * parameters, a time window, and SQL written so that PostgreSQL prunes partitions while planning
 * (src/logtypes/query/windows.ts). Lists of events come newest first, a page at a time; questions
 * over everything read rollups for whole hours or days plus the window's edges from the tables.
 * `logpipe query` runs them; queries/*.sql holds each one's seed question for psql.
 */
import { and, bucketCondition, splitWindow, tsCondition, type Params, type Window } from './windows.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface QueryArgs {
  ip?: string;
  /** The domains asked about: one for a question that needs `domain`, one or more for `domains`. */
  domains?: string[];
  port?: number;
  window: Window;
  /** Rows of a list (a page); null: all of them, streamed. */
  limit: number | null;
  /** Rows of a ranking. */
  top: number;
}

export interface BuiltQuery {
  sql: string;
  params: unknown[];
}

export interface Investigation {
  /** Short id, ordering the report (q1, q2a…; a new type takes the next free number). */
  id: string;
  /** `logpipe query <command>`. */
  command: string;
  title: string;
  /** A list of events (newest first, paged) rather than a summary. */
  list: boolean;
  /** Parameters it needs: an IP, one domain, a list of domains, a port, a window's start. */
  needs: ('ip' | 'domain' | 'domains' | 'port' | 'from')[];
  /** Its seed question: the arguments `logpipe queries` and queries/*.sql use (the rest default). */
  seed: Partial<QueryArgs>;
  /** queries/<file>: the seed question for psql. */
  file: string;
  build(a: QueryArgs, watchedPorts: readonly number[]): BuiltQuery;
  /**
   * The same question in plain SQL over the log tables, no rollup, no index trick: what build()
   * must answer exactly (the investigations test compares them in many windows).
   */
  reference(a: QueryArgs): BuiltQuery;
  /** The same question on the naive JSONB `logs` table, for the benchmark (absent: the naive pipeline does not know the type). */
  naive?(a: QueryArgs): BuiltQuery;
}

export const DEFAULT_PAGE = 1_000;

/** ` LIMIT $n` for a page, '' for all rows. */
export function limit(p: Params, a: QueryArgs): string {
  return a.limit === null ? '' : `\n LIMIT ${p.add(a.limit)}`;
}

/** The UTC hour at or before (floor) / at or after (ceil) an instant, as a timestamp without zone. */
export function hourOf(d: Date, how: 'floor' | 'ceil'): string {
  const h = (how === 'floor' ? Math.floor : Math.ceil)(d.getTime() / HOUR_MS) * HOUR_MS;
  return new Date(h).toISOString().slice(0, 19);
}

/** Rows from a rollup for the window's whole buckets, plus the same from the table for its edges. */
export function hybrid(
  a: QueryArgs,
  grain: 'hour' | 'day',
  p: Params,
  fromRollup: (bucketCond: string) => string,
  fromTable: (tsCond: string) => string,
): string {
  const split = splitWindow(a.window, grain === 'hour' ? HOUR_MS : DAY_MS);
  const parts: string[] = [];
  if (split.whole) parts.push(fromRollup(bucketCondition(split.whole, grain, p)));
  if (split.edges.length) parts.push(fromTable(`(${split.edges.map((e) => tsCondition(e, p)).join(' OR ')})`));
  return parts.join('\n  UNION ALL\n  ');
}

/** The window on the naive table's text timestamps. */
export const naiveWindow = (a: QueryArgs, p: Params) =>
  and(
    a.window.from ? `timestamp >= ${p.add(a.window.from.toISOString().slice(0, 19))}` : '',
    a.window.to ? `timestamp < ${p.add(a.window.to.toISOString().slice(0, 19))}` : '',
  );

/** The window as a plain condition on `ts`, for reference queries. */
export const plainWindow = (a: QueryArgs, p: Params) => and(tsCondition(a.window, p));
