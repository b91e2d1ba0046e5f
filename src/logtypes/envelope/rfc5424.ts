/**
 * RFC 5424 syslog: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`, where
 * any header field may be the nil value `-`, structured data is `-` or `[id k="v" …]…` (values
 * may hold escaped `"`, `\` and `]`), and MSG may start with a UTF-8 byte order mark.
 */
import { formatOffset, hasZone, parseIsoTimestamp, TimeZone } from '../time.js';
import { MAX_INT4, parseUintAt } from '../fields.js';
import { reject } from '../types.js';
import type { Envelope, EnvelopeReader } from './types.js';

/** The field at `from` up to the next space: [start, end), or null at the end of the line. */
function field(line: string, from: number): [number, number] | null {
  if (from >= line.length) return null;
  const end = line.indexOf(' ', from);
  return [from, end < 0 ? line.length : end];
}

const nil = (line: string, [a, b]: [number, number]) => b - a === 1 && line.charCodeAt(a) === 45;

/** End of the structured data starting at `from` (`-` or `[…]…`), or -1 if it is malformed. */
function structuredDataEnd(line: string, from: number): number {
  if (line.charCodeAt(from) === 45) return from + 1;
  let i = from;
  while (line.charCodeAt(i) === 91 /* [ */) {
    i++;
    let quoted = false;
    for (; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (quoted) {
        if (c === 92 /* \ */) i++;
        else if (c === 34 /* " */) quoted = false;
      } else if (c === 34) {
        quoted = true;
      } else if (c === 93 /* ] */) {
        break;
      }
    }
    if (i >= line.length) return -1;
    i++;
  }
  return i === from ? -1 : i;
}

export const rfc5424: EnvelopeReader = {
  format: 'rfc5424',
  // `from` is just past `<PRI>`.
  read(line, from, ctx) {
    if (line.charCodeAt(from) !== 49 /* 1 */ || line.charCodeAt(from + 1) !== 32) return null;
    const tsField = field(line, from + 2);
    if (!tsField) return reject('unknown_format', 'RFC 5424 header ends after the version');
    if (nil(line, tsField)) return reject('bad_timestamp', 'RFC 5424 line with a nil timestamp');
    const stamp = line.slice(tsField[0], tsField[1]);
    const ms = parseIsoTimestamp(stamp, TimeZone.UTC);
    if (Number.isNaN(ms)) return reject('bad_timestamp', `bad timestamp "${stamp.slice(0, 40)}"`);
    const env: Envelope = { format: 'rfc5424', epochMs: ms, ts: stamp, host: null, program: null, pid: null, msgStart: line.length, delim: 32 };
    if (!hasZone(stamp)) {
      const offset = ctx.zone.offsetForWall(ms);
      env.epochMs = ms - offset * 60_000;
      env.ts = stamp + formatOffset(offset);
    }
    const host = field(line, tsField[1] + 1);
    const app = host && field(line, host[1] + 1);
    const procId = app && field(line, app[1] + 1);
    const msgId = procId && field(line, procId[1] + 1);
    if (!host || !app || !procId || !msgId || msgId[1] + 1 >= line.length) {
      return reject('unknown_format', 'RFC 5424 header is missing HOSTNAME, APP-NAME, PROCID, MSGID or STRUCTURED-DATA');
    }
    if (!nil(line, host)) env.host = line.slice(host[0], host[1]);
    if (!nil(line, app)) env.program = line.slice(app[0], app[1]);
    if (!nil(line, procId)) {
      const pid = parseUintAt(line, procId[0], procId[1], MAX_INT4);
      if (pid >= 0) env.pid = pid; // PROCID need not be a number (RFC 5424 §6.2.6)
    }
    const sdEnd = structuredDataEnd(line, msgId[1] + 1);
    if (sdEnd < 0) return reject('unknown_format', 'malformed RFC 5424 structured data');
    if (sdEnd < line.length && line.charCodeAt(sdEnd) !== 32) return reject('unknown_format', 'no space after RFC 5424 structured data');
    let msg = Math.min(sdEnd + 1, line.length);
    if (line.charCodeAt(msg) === 0xfeff) msg++; // BOM
    env.msgStart = msg;
    return env;
  },
};
