/** A parsed record as readers of a test want it: by column name, an inet value as its text (IPv4 addresses come as their bits). */
import { ipText } from '../../src/logtypes/fields.js';
import type { LogType, Value } from '../../src/logtypes/types.js';

export function recordOf(type: LogType, values: Value[]): Record<string, unknown> {
  return Object.fromEntries(type.columns.map((c, i) => {
    const v = values[i];
    return [c.name, c.type === 'inet' && v !== null ? ipText(v as number | string) : v];
  }));
}
