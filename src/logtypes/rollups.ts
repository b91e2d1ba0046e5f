/**
 * Every rollup the registered log types declare, flattened, with what counting needs: the
 * positions of its key columns in a record's values and of its filter column. The processor
 * counts with these; the store creates, fills and checks the tables from them.
 */
import { LOG_TYPES } from './registry.js';
import type { LogType, RollupDef } from './types.js';

/** The ports whose connections the firewall's port_pairs rollups keep, unless rollups.watchedPorts says otherwise. */
export const DEFAULT_WATCHED_PORTS: readonly number[] = [22, 445, 3389, 5985, 5986];

export interface Rollup {
  /** Position in ROLLUPS. */
  index: number;
  typeIndex: number;
  type: LogType;
  def: RollupDef;
  /** Positions of the key columns in a record's values. */
  keyIndexes: number[];
  /** Position of the filter column, or -1. */
  whereIndex: number;
}

export const ROLLUPS: readonly Rollup[] = LOG_TYPES.flatMap((type, typeIndex) => (type.rollups ?? []).map((def) => ({ type, typeIndex, def }))).map(
  ({ type, typeIndex, def }, index) => {
    const col = (name: string) => {
      const i = type.columns.findIndex((c) => c.name === name);
      if (i < 0) throw new Error(`rollup ${type.name}.${def.name}: no column ${name}`);
      return i;
    };
    if (def.presence && (def.firstLast || def.rankedBy)) throw new Error(`rollup ${type.name}.${def.name}: a presence rollup keeps no count, so no first/last times or ranking`);
    return { index, typeIndex, type, def, keyIndexes: def.keys.map(col), whereIndex: def.where ? col(def.where.column) : -1 };
  },
);

/** The columns a rollup's rows carry after the bucket and keys: events[, first_seen, last_seen], or none for presence. */
export function countColumns(def: RollupDef): string[] {
  return def.presence ? [] : ['events', ...(def.firstLast ? ['first_seen', 'last_seen'] : [])];
}

/** How many values a rollup's row is sent as: its bucket (0 for 'all'), its keys, its counts. */
export function sentWidth(def: RollupDef): number {
  return 1 + def.keys.length + countColumns(def).length;
}

/** The values a rollup's filter accepts, with the watched ports filled in. */
export function filterValues(r: Rollup, watchedPorts: readonly number[]): readonly (string | number)[] | null {
  if (!r.def.where) return null;
  return r.def.where.values === 'watchedPorts' ? watchedPorts : r.def.where.values;
}
