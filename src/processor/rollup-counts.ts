/**
 * Counting a chunk's records into every declared rollup, in the parse thread. Per rollup, nested
 * maps keyed by the bucket and then by the record's own key values (no key string built per
 * record: that allocation, and structured-cloning the maps, cost more than the counting). When
 * the chunk is done, each rollup becomes one newline-joined string per column (values never hold
 * a newline: lines are split on it), which cross the thread boundary as strings and go to
 * PostgreSQL as they are; duplicates across a batch's chunks are summed there (GROUP BY). A
 * presence rollup's keys go without their counts.
 */
import { ipText } from '../logtypes/fields.js';
import { filterValues, ROLLUPS, sentWidth } from '../logtypes/rollups.js';
import type { Value } from '../logtypes/types.js';
import type { RollupColumns } from '../store/rows.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Counts of one (bucket, key): events, or [events, first ms, last ms] for first/last rollups. */
type Count = number | [number, number, number];
type Level = Map<unknown, Level | Count>;

interface Plan {
  index: number;
  keyIndexes: number[];
  whereIndex: number;
  accept: Set<string | number> | null;
  grainMs: number;
  firstLast: boolean;
}

/** Per type: its rollups with their filters resolved. */
export function rollupPlans(watchedPorts: readonly number[]): Plan[][] {
  const byType: Plan[][] = [];
  for (const r of ROLLUPS) {
    const values = filterValues(r, watchedPorts);
    (byType[r.typeIndex] ??= []).push({
      index: r.index, keyIndexes: r.keyIndexes, whereIndex: r.whereIndex, accept: values ? new Set(values) : null,
      grainMs: r.def.grain === 'hour' ? HOUR_MS : r.def.grain === 'day' ? DAY_MS : 0, firstLast: Boolean(r.def.firstLast),
    });
  }
  return byType;
}

export type RollupPlans = Plan[][];

export class RollupCounter {
  private readonly roots: Level[] = ROLLUPS.map(() => new Map());
  // Records come in time order: the bucket rarely changes, so its map is kept at hand.
  private readonly lastBucket: number[] = ROLLUPS.map(() => NaN);
  private readonly lastLevel: Level[] = ROLLUPS.map(() => new Map());

  constructor(private readonly plans: RollupPlans) {}

  /** Counts one record of type `typeIndex`. */
  count(typeIndex: number, values: Value[], epochMs: number): void {
    const forType = this.plans[typeIndex];
    if (!forType) return;
    for (let p = 0; p < forType.length; p++) {
      const plan = forType[p];
      if (plan.accept !== null && !plan.accept.has(values[plan.whereIndex] as string | number)) continue;
      const bucket = plan.grainMs ? Math.floor(epochMs / plan.grainMs) : 0;
      let level: Level;
      if (bucket === this.lastBucket[plan.index]) level = this.lastLevel[plan.index];
      else {
        const root = this.roots[plan.index];
        level = root.get(bucket) as Level | undefined ?? new Map();
        root.set(bucket, level);
        this.lastBucket[plan.index] = bucket;
        this.lastLevel[plan.index] = level;
      }
      let key: unknown = values[plan.keyIndexes[0]];
      if (key === null) continue;
      let missing = false;
      for (let k = 1; k < plan.keyIndexes.length; k++) {
        let next = level.get(key) as Level | undefined;
        if (next === undefined) level.set(key, (next = new Map()));
        level = next;
        key = values[plan.keyIndexes[k]];
        if (key === null) {
          missing = true;
          break;
        }
      }
      if (missing) continue;
      const c = level.get(key) as Count | undefined;
      if (!plan.firstLast) level.set(key, ((c as number | undefined) ?? 0) + 1);
      else if (c === undefined) level.set(key, [1, epochMs, epochMs]);
      else {
        const agg = c as [number, number, number];
        agg[0]++;
        if (epochMs < agg[1]) agg[1] = epochMs;
        if (epochMs > agg[2]) agg[2] = epochMs;
      }
    }
  }

  /** Every rollup's counts as column strings (index into ROLLUPS). */
  columns(): RollupColumns[] {
    return ROLLUPS.map((r, i) => {
      const depth = r.def.keys.length; // levels below the bucket
      const presence = Boolean(r.def.presence);
      const cols: string[][] = Array.from({ length: sentWidth(r.def) }, () => []);
      // Per level (the bucket, then each key): whether it is an inet column, whose IPv4 keys are numbers.
      const inet = [false, ...r.keyIndexes.map((k) => r.type.columns[k].type === 'inet')];
      const path: unknown[] = [];
      const walk = (level: Level, d: number) => {
        for (const [k, v] of level) {
          path[d] = k;
          if (d < depth) walk(v as Level, d + 1);
          else {
            for (let c = 0; c <= depth; c++) cols[c].push(inet[c] ? ipText(path[c] as number | string) : String(path[c]));
            if (presence) continue; // the key alone
            if (typeof v === 'number') cols[depth + 1].push(String(v));
            else {
              const [n, first, last] = v as [number, number, number];
              cols[depth + 1].push(String(n));
              cols[depth + 2].push(String(first));
              cols[depth + 3].push(String(last));
            }
          }
        }
      };
      walk(this.roots[i], 0);
      return { rows: cols[0].length, columns: cols.map((c) => c.join('\n')) };
    });
  }
}
