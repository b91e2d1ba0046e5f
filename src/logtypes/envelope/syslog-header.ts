/**
 * `HOST TAG: MSG` after a syslog stamp, where TAG is `program[pid]` or `program` (RFC 3164 §4.1.3,
 * rsyslog's traditional and high-precision templates, journald's short-iso output).
 */
import { MAX_INT4, parseUintAt } from '../fields.js';
import { reject, type Rejected } from '../types.js';
import type { Envelope } from './types.js';

/**
 * Fills host, program, pid and msgStart of `env` from the text at `from`. When the second token
 * is not a tag: with `hostRequired` (RFC 3164, whose HOSTNAME is not optional) the first token is
 * still the host, otherwise (an ISO stamp followed by a bare message, as in the seed's DNS lines)
 * the message starts at `from`.
 */
export function readSyslogHeader(line: string, from: number, env: Envelope, hostRequired: boolean): Envelope | Rejected {
  const hostEnd = line.indexOf(' ', from);
  if (hostEnd <= from || line.charCodeAt(hostEnd - 1) === 58 /* ':' */) {
    // One token, or a first token that is itself a tag-like "word:" (BIND's "queries: info:"): a bare message.
    env.msgStart = from;
    return env;
  }
  let tagEnd = line.indexOf(' ', hostEnd + 1);
  if (tagEnd < 0) tagEnd = line.length;
  if (tagEnd - hostEnd < 3 || line.charCodeAt(tagEnd - 1) !== 58) {
    if (hostRequired) env.host = line.slice(from, hostEnd);
    env.msgStart = hostRequired ? hostEnd + 1 : from;
    return env;
  }
  // program[pid]: or program:
  let progEnd = tagEnd - 1;
  if (line.charCodeAt(progEnd - 1) === 93 /* ']' */) {
    const open = line.lastIndexOf('[', progEnd - 2);
    if (open <= hostEnd + 1) {
      env.msgStart = hostRequired ? hostEnd + 1 : from;
      if (hostRequired) env.host = line.slice(from, hostEnd);
      return env;
    }
    const pid = parseUintAt(line, open + 1, progEnd - 1, MAX_INT4);
    if (pid < 0) return reject('bad_number', `pid "${line.slice(open + 1, Math.min(progEnd - 1, open + 21))}" is not a number`);
    env.pid = pid;
    progEnd = open;
  }
  // A program logged by path (/usr/sbin/sshd) is routed by its name.
  const slash = line.lastIndexOf('/', progEnd - 1);
  const progStart = slash > hostEnd ? slash + 1 : hostEnd + 1;
  if (progEnd <= progStart) {
    env.msgStart = hostRequired ? hostEnd + 1 : from;
    if (hostRequired) env.host = line.slice(from, hostEnd);
    return env;
  }
  env.host = line.slice(from, hostEnd);
  env.program = line.slice(progStart, progEnd);
  env.msgStart = tagEnd + 1 > line.length ? line.length : tagEnd + 1;
  return env;
}
