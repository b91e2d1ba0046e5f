/**
 * Recognises a line's envelope. The first character decides which family to try, so the seed's
 * ISO lines cost one test before their stamp is parsed. Families a log type adds (its
 * `envelopes`) are tried after these, in registry order: a type brings its own stamp format
 * without a change here.
 */
import { reject, type Rejected } from '../types.js';
import { bind } from './bind.js';
import { iso } from './iso.js';
import { rfc3164 } from './rfc3164.js';
import { rfc5424 } from './rfc5424.js';
import type { Envelope, EnvelopeReader, ParseContext } from './types.js';

const NO_ENVELOPE = reject('unknown_format', 'no timestamp recognised at the start of the line');

/** The envelope of a trimmed, non-empty line; a rejection if there is none or its stamp is broken. */
export function readEnvelope(line: string, ctx: ParseContext, added: readonly EnvelopeReader[] = []): Envelope | Rejected {
  let from = 0;
  const first = line.charCodeAt(0);
  if (first === 60 /* < */) {
    // <PRI>: 1–3 digits. RFC 5424 follows with its version; otherwise an RFC 3164 or ISO stamp.
    const close = line.indexOf('>', 1);
    if (close < 2 || close > 4) return NO_ENVELOPE;
    for (let i = 1; i < close; i++) if (line.charCodeAt(i) < 48 || line.charCodeAt(i) > 57) return NO_ENVELOPE;
    from = close + 1;
    const r = rfc5424.read(line, from, ctx);
    if (r) return r;
  }
  const c = line.charCodeAt(from);
  const r = c >= 48 && c <= 57 ? iso.read(line, from, ctx) ?? bind.read(line, from, ctx) : rfc3164.read(line, from, ctx);
  if (r) return r;
  for (const reader of added) {
    const a = reader.read(line, from, ctx);
    if (a) return a;
  }
  return NO_ENVELOPE;
}
