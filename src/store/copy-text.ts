/**
 * PostgreSQL COPY text-format encoding. Rows are built as strings in the processor and sent in
 * one COPY per table per transaction.
 */
import { ipText } from '../logtypes/fields.js';
import type { PgType, Value } from '../logtypes/types.js';

function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || c === 9 || c === 10 || c === 13) return true;
  }
  return false;
}

/** Escapes backslash, tab, newline and carriage return, the characters COPY text gives meaning. */
export function escapeCopyText(s: string): string {
  if (!needsEscape(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') out += '\\\\';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else out += ch;
  }
  return out;
}

export function encodeValue(value: Value, type: PgType): string {
  if (value === null) return '\\N';
  switch (type) {
    case 'integer':
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'jsonb':
      return escapeCopyText(JSON.stringify(value));
    case 'inet':
      return ipText(value as number | string); // IPv4 as its bits, or validated text
    case 'timestamptz':
    case 'enum':
      return value as string; // validated by the parser: no special characters
    default:
      return escapeCopyText(value as string);
  }
}

export function encodeBytea(buf: Buffer): string {
  // \x… hex form; the backslash itself must be escaped in COPY text.
  return '\\\\x' + buf.toString('hex');
}
