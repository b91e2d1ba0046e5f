/**
 * Time windows for the analysts' questions. A rollup counts per hour or per day, so a window is
 * answered in two parts: its whole buckets from the rollup, and the pieces at its edges (the
 * partial hour or day at either end) from the log table, whose daily partitions and BRIN on ts
 * make those pieces cheap. Every bound reaches PostgreSQL as a parameter of the statement, never
 * an expression of one, so partitions are pruned while planning.
 */

export interface Window {
  /** Inclusive; null: from the beginning. */
  from: Date | null;
  /** Exclusive; null: to the end. */
  to: Date | null;
}

export const EVERYTHING: Window = { from: null, to: null };

/** Numbered parameters, added as the SQL is written. */
export class Params {
  readonly values: unknown[] = [];
  add(v: unknown, cast = ''): string {
    this.values.push(v);
    return `$${this.values.length}${cast}`;
  }
}

/** `ts >= $a AND ts < $b` for the bounds a window has; '' for everything. */
export function tsCondition(w: Window, p: Params, column = 'ts'): string {
  const parts: string[] = [];
  if (w.from) parts.push(`${column} >= ${p.add(w.from.toISOString(), '::timestamptz')}`);
  if (w.to) parts.push(`${column} < ${p.add(w.to.toISOString(), '::timestamptz')}`);
  return parts.join(' AND ');
}

export interface Split {
  /** The whole buckets, as a window on bucket starts; null when the window holds no whole bucket. */
  whole: Window | null;
  /** The partial buckets at the edges, for the log table. */
  edges: Window[];
}

const floorTo = (d: Date, ms: number) => new Date(Math.floor(d.getTime() / ms) * ms);
const ceilTo = (d: Date, ms: number) => new Date(Math.ceil(d.getTime() / ms) * ms);

/** Splits a window at bucket boundaries of `grainMs` (UTC hours or days). */
export function splitWindow(w: Window, grainMs: number): Split {
  const a = w.from ? ceilTo(w.from, grainMs) : null;
  const b = w.to ? floorTo(w.to, grainMs) : null;
  if (a && b && a >= b) return { whole: null, edges: [w] };
  const edges: Window[] = [];
  if (w.from && a && w.from < a) edges.push({ from: w.from, to: a });
  if (w.to && b && b < w.to) edges.push({ from: b, to: w.to });
  return { whole: { from: a, to: b }, edges };
}

/** A window's condition on a rollup's bucket column (hour timestamptz, or day date). */
export function bucketCondition(whole: Window, column: 'hour' | 'day', p: Params): string {
  const cast = column === 'day' ? '::date' : '::timestamptz';
  const value = (d: Date) => (column === 'day' ? d.toISOString().slice(0, 10) : d.toISOString());
  const parts: string[] = [];
  if (whole.from) parts.push(`${column} >= ${p.add(value(whole.from), cast)}`);
  if (whole.to) parts.push(`${column} < ${p.add(value(whole.to), cast)}`);
  return parts.join(' AND ');
}

export const and = (...conds: string[]) => conds.filter(Boolean).join(' AND ') || 'true';

/** Parses --from / --to: an ISO date (midnight UTC) or date and time; a clear error otherwise. */
export function parseWhen(flag: string, v: string | undefined): Date | null {
  if (v === undefined) return null;
  const d = new Date(/^\d{4}-\d\d-\d\d$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) throw new Error(`${flag} must be an ISO 8601 date or time such as 2024-01-15 or 2024-01-15T06:00:00Z, got "${v}"`);
  return d;
}
