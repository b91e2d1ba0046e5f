/**
 * Values as analysts read them: timestamps in ISO 8601, and nothing from a log line ever
 * interpreted by a terminal or a spreadsheet. Tables and CSV show control characters (escape
 * sequences, carriage returns, NUL, C1) as \xNN with backslashes doubled; a CSV cell a
 * spreadsheet would take for a formula (=, +, -, @ first) gets a leading '. JSON lines keep
 * every character, escaped by JSON's rules (\u001b), C1 controls included.
 */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(cellText).join(',');
  if (typeof v === 'object') return safeText(JSON.stringify(v));
  return safeText(String(v));
}

/** Control characters (C0, DEL, C1) as \xNN, and the backslash doubled so the escape is unambiguous. */
export function safeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f\\]/.test(s)
    ? s.replace(/[\u0000-\u001f\u007f-\u009f\\]/g, (c) => (c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
    : s;
}

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const raw = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // A text from a log line that starts like a formula is shown as text (OWASP's CSV injection advice); numbers are numbers.
  const s = safeText(typeof v === 'string' && /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw);
  return /[",]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function jsonRow(row: Record<string, unknown>): string {
  // JSON escapes C0 controls itself; DEL and the C1 range (U+009B is a CSI to some terminals) are escaped too.
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(row, (_k, v) => (v instanceof Date ? v.toISOString() : v)).replace(/[\u007f-\u009f]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** Rows as an aligned text table (values escaped). */
export function textTable(columns: string[], rows: Record<string, unknown>[]): string {
  const cells = rows.map((r) => columns.map((c) => cellText(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  return [columns, ...cells].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}
