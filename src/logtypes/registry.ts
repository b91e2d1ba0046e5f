/**
 * The explicit list of log types, and how a line finds its type. Adding a type = adding its
 * folder and one entry in LOG_TYPES; the schema, COPY, docs and conformance tests pick it up.
 *
 * A line's envelope is read once (src/logtypes/envelope/); then a program that a type claims
 * (sshd → auth, named → dns, kernel → firewall) sends the message to that type, and any other
 * line goes to the first type whose `recognise` accepts its message.
 */
import { auth } from './auth/auth.js';
import { dns } from './dns/dns.js';
import { readEnvelope } from './envelope/read.js';
import type { Envelope, ParseContext } from './envelope/types.js';
import { firewall } from './firewall/firewall.js';
import { proxy } from './proxy/proxy.js';
import { TimeZone } from './time.js';
import { reject, type LogType, type ParseResult, type Rejected } from './types.js';

export const LOG_TYPES: readonly LogType[] = [firewall, dns, auth, proxy];

/** Program → the index of the type that claims it. */
const BY_PROGRAM = new Map<string, number>();
LOG_TYPES.forEach((t, i) => {
  for (const p of t.programs) {
    if (BY_PROGRAM.has(p)) throw new Error(`program ${p} is claimed by ${LOG_TYPES[BY_PROGRAM.get(p)!].name} and ${t.name}`);
    BY_PROGRAM.set(p, i);
  }
});

/** Envelope families the log types add, tried after the built-in ones. */
const ADDED_ENVELOPES = LOG_TYPES.flatMap((t) => t.envelopes ?? []);

/** A line's envelope, with the families the log types add. */
export function envelopeOf(line: string, ctx: ParseContext = defaultContext()): Envelope | Rejected {
  return readEnvelope(line, ctx, ADDED_ENVELOPES);
}

/** UTC, the year from the current clock: for tests and callers without a file behind the line. */
export function defaultContext(now = new Date()): ParseContext {
  return { zone: TimeZone.UTC, year: null, refYear: now.getUTCFullYear(), refMonth: now.getUTCMonth() + 1 };
}

export interface LineOutcome {
  /** Index into LOG_TYPES, or -1 when no type took the line. */
  typeIndex: number;
  result: ParseResult;
}

const NUL: LineOutcome = { typeIndex: -1, result: reject('invalid_encoding', 'line contains a NUL byte') };
const UNKNOWN = reject('unknown_format', 'no log type recognises this message');

function run(typeIndex: number, line: string, env: Parameters<LogType['parse']>[1]): LineOutcome {
  const type = LOG_TYPES[typeIndex];
  try {
    return { typeIndex, result: type.parse(line, env) };
  } catch (err) {
    // Modules are total by contract (and fuzzed); should one throw anyway, the line is
    // quarantined with the error, and the rest of its chunk goes on.
    const detail = `${type.name} parser failed: ${(err as Error)?.message ?? String(err)}`.slice(0, 200);
    return { typeIndex, result: reject('unknown_format', detail) };
  }
}

/**
 * Parses one already-decoded, trimmed, non-empty line. Total: never throws. Byte-level checks
 * (invalid UTF-8, over-long lines) happen before decoding, in the processor's line splitter.
 */
export function parseLine(line: string, ctx: ParseContext = defaultContext()): LineOutcome {
  if (line.indexOf('\0') !== -1) return NUL;
  const env = readEnvelope(line, ctx, ADDED_ENVELOPES);
  if ('ok' in env) return { typeIndex: -1, result: env };
  try {
    if (env.program !== null) {
      const claimed = BY_PROGRAM.get(env.program);
      if (claimed !== undefined) {
        if (LOG_TYPES[claimed].recognise(line, env)) return run(claimed, line, env);
        return { typeIndex: claimed, result: reject('unsupported_message', `${env.program} message not kept: "${line.slice(env.msgStart, env.msgStart + 60)}"`) };
      }
    }
    for (let i = 0; i < LOG_TYPES.length; i++) if (LOG_TYPES[i].recognise(line, env)) return run(i, line, env);
  } catch (err) {
    return { typeIndex: -1, result: reject('unknown_format', `routing failed: ${(err as Error)?.message ?? String(err)}`.slice(0, 200)) };
  }
  if (env.program !== null) return { typeIndex: -1, result: reject('unsupported_message', `no log type for program "${env.program.slice(0, 40)}"`) };
  return { typeIndex: -1, result: UNKNOWN };
}
