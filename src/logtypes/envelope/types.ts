/**
 * The envelope of a log line: when it happened and who wrote it, parsed once per line before the
 * message is routed to a log type (as Vector separates framing and parsing from the event). One
 * module per envelope family in this folder; `read.ts` tries them in a fixed order.
 */
import type { Rejected } from '../types.js';
import type { TimeZone } from '../time.js';

/** iso, rfc3164, rfc5424, bind, or the name of an envelope a log type adds. */
export type EnvelopeFormat = string;

export interface Envelope {
  format: EnvelopeFormat;
  /** Milliseconds since the epoch, for choosing the daily partition and the rollup hour. */
  epochMs: number;
  /**
   * The stamp as COPY text for a timestamptz: the line's own ISO text where it names its zone,
   * otherwise the wall time as logged with the offset that was applied (nothing rounded).
   */
  ts: string;
  /** The reporting host, where the envelope has one. */
  host: string | null;
  /** The syslog program (tag / APP-NAME) without path or pid, e.g. `sshd`, `named`, `kernel`. */
  program: string | null;
  pid: number | null;
  /** Offset of the message in the line. */
  msgStart: number;
  /** 124 when the message follows the stamp after a `|` (the seed's firewall lines), else 32. */
  delim: number;
}

/** What a line's stamp may need from outside the line: the input's time zone and year. */
export interface ParseContext {
  /** Zone of stamps that carry none (RFC 3164, BIND, ISO without offset). */
  zone: TimeZone;
  /** RFC 3164 stamps have no year: this one (`input.year`), or null to derive it from `refYear`/`refMonth`. */
  year: number | null;
  /** Year and month (1–12), in `zone`, of the file's modification time when its chunk was read. */
  refYear: number;
  refMonth: number;
}

/** One envelope family: null when the line is not of this family, a rejection when it is but is broken. */
export interface EnvelopeReader {
  format: EnvelopeFormat;
  read(line: string, from: number, ctx: ParseContext): Envelope | Rejected | null;
}
