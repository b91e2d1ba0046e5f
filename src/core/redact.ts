/** A URL fit for logs and messages: its password replaced (secrets are never printed). */
export function redactUrl(url: string | undefined): string {
  if (!url) return '(none)';
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
