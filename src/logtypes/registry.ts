/**
 * The explicit list of log types. Adding a type = adding its module and one entry here; the
 * schema, COPY, docs and conformance tests pick it up from this list.
 */
import { auth } from './auth/auth.js';
import { dns } from './dns/dns.js';
import { firewall } from './firewall/firewall.js';
import { reject, type LogType, type ParseResult } from './types.js';

export const LOG_TYPES: readonly LogType[] = [firewall, dns, auth];

export function logTypeByName(name: string): LogType | undefined {
  return LOG_TYPES.find((t) => t.name === name);
}

export interface LineOutcome {
  /** Index into LOG_TYPES, or -1 when no type recognised the line. */
  typeIndex: number;
  result: ParseResult;
}

const UNKNOWN: LineOutcome = { typeIndex: -1, result: reject('unknown_format', 'no log type recognises this line') };
const NUL: LineOutcome = { typeIndex: -1, result: reject('invalid_encoding', 'line contains a NUL byte') };

/**
 * Parses one already-decoded, trimmed, non-empty line. Total: never throws. Byte-level checks
 * (invalid UTF-8, over-long lines) happen before decoding, in the processor's line splitter.
 */
export function parseLine(line: string): LineOutcome {
  if (line.indexOf('\0') !== -1) return NUL;
  for (let i = 0; i < LOG_TYPES.length; i++) {
    try {
      if (LOG_TYPES[i].recognise(line)) return { typeIndex: i, result: LOG_TYPES[i].parse(line) };
    } catch (err) {
      // Modules are total by contract (and fuzzed); should one throw anyway, the line is
      // quarantined with the error, and the rest of its chunk goes on.
      const detail = `${LOG_TYPES[i].name} parser failed: ${(err as Error)?.message ?? String(err)}`.slice(0, 200);
      return { typeIndex: i, result: reject('unknown_format', detail) };
    }
  }
  return UNKNOWN;
}
