/**
 * The seed's parsers, kept as they are: try firewall, then DNS, then auth; a line none of them
 * matches is dropped. Every parsed value stays a string, as the seed stores it in `parsed_data`.
 * This is the yardstick, so it is deliberately not improved (no validation, no quarantine).
 */
export interface NaiveRecord {
  logType: 'firewall' | 'dns' | 'auth';
  timestamp: string;
  parsed: Record<string, string>;
}

const DNS = /^(\S+) client (\S+) query: (\S+) IN (\S+) \S+ \((\S+)\) (\S+)$/;
const AUTH = /^(\S+) (\S+) sshd\[(\d+)\]: (Accepted|Failed) (\S+) for (\S+) from (\S+) port (\d+) ssh2$/;

function parseFirewall(line: string): NaiveRecord | null {
  if (!line.includes('|')) return null;
  const [timestamp, ...parts] = line.split('|');
  const parsed: Record<string, string> = {};
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq > 0) parsed[part.slice(0, eq)] = part.slice(eq + 1);
  }
  if (!('action' in parsed)) return null;
  return { logType: 'firewall', timestamp, parsed };
}

function parseDns(line: string): NaiveRecord | null {
  const m = DNS.exec(line);
  if (!m) return null;
  return {
    logType: 'dns',
    timestamp: m[1],
    parsed: { client_ip: m[2], query_domain: m[3], query_type: m[4], server_ip: m[5], response_code: m[6] },
  };
}

function parseAuth(line: string): NaiveRecord | null {
  const m = AUTH.exec(line);
  if (!m) return null;
  return {
    logType: 'auth',
    timestamp: m[1],
    parsed: { hostname: m[2], pid: m[3], status: m[4], auth_method: m[5], username: m[6], source_ip: m[7], source_port: m[8] },
  };
}

export function naiveParse(line: string): NaiveRecord | null {
  return parseFirewall(line) ?? parseDns(line) ?? parseAuth(line);
}

/** The seed's message: one JSON object per line, formatted as Python's json.dumps writes it. */
export function naiveMessage(line: string, sourceFile: string): string {
  return `{"line": ${JSON.stringify(line)}, "source_file": ${JSON.stringify(sourceFile)}}`;
}
