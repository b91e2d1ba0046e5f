/**
 * The analysts' questions (DESIGN §4) on logpipe's schema and, for the benchmark, the same
 * questions on the naive JSONB `logs` table. queries/*.sql holds the same SQL for psql users.
 */
export interface AnalystQuery {
  id: string;
  file: string;
  title: string;
  sql: string;
  params: unknown[];
  /** The naive schema's equivalent (same answer), for side-by-side latency. */
  naiveSql: string;
  /** Whether it reads a log table through an index; false: it reads a rollup (Q4, Q5). */
  indexed: boolean;
}

const IOCS = ['evil-domain.com', 'malware-c2.bad', 'data-exfil.bad', 'phishing-login.evil'];

export const ANALYST_QUERIES: AnalystQuery[] = [
  {
    id: 'q1', file: 'q1_incident_response.sql', title: 'firewall events from one source IP in a one-hour window', indexed: true,
    sql: `SELECT ts, action, src_ip, dst_ip, proto, src_port, dst_port, bytes_sent, rule
  FROM firewall_logs
 WHERE src_ip = $1 AND ts >= $2::timestamptz AND ts < $2::timestamptz + interval '1 hour'
 ORDER BY ts`,
    params: ['192.168.1.50', '2024-01-15T01:00:00Z'],
    naiveSql: `SELECT * FROM logs WHERE log_type = 'firewall' AND parsed_data->>'src' = $1
   AND timestamp >= $2 AND timestamp < to_char(($2::timestamptz + interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') ORDER BY timestamp`,
  },
  {
    id: 'q2a', file: 'q2a_threat_hunt_domain.sql', title: 'DNS queries for one IOC domain', indexed: true,
    sql: `SELECT ts, client_ip, query_type, server_ip, response_code
  FROM dns_logs
 WHERE query_domain = $1
 ORDER BY ts DESC`,
    params: ['evil-domain.com'],
    naiveSql: `SELECT * FROM logs WHERE log_type = 'dns' AND parsed_data->>'query_domain' = $1 ORDER BY timestamp DESC`,
  },
  {
    id: 'q2b', file: 'q2b_threat_hunt_domain_list.sql', title: 'DNS queries for a list of IOC domains', indexed: true,
    sql: `SELECT query_domain, count(*) AS queries, count(DISTINCT client_ip) AS clients, min(ts) AS first_seen, max(ts) AS last_seen
  FROM dns_logs
 WHERE query_domain = ANY($1::text[])
 GROUP BY query_domain
 ORDER BY queries DESC`,
    params: [IOCS],
    naiveSql: `SELECT parsed_data->>'query_domain', count(*), count(DISTINCT parsed_data->>'client_ip'), min(timestamp), max(timestamp)
  FROM logs WHERE log_type = 'dns' AND parsed_data->>'query_domain' = ANY($1::text[]) GROUP BY 1 ORDER BY 2 DESC`,
  },
  {
    id: 'q3a', file: 'q3a_brute_force_source.sql', title: 'failed SSH logins from one source IP', indexed: true,
    sql: `SELECT ts, hostname, username, auth_method, invalid_user, source_port
  FROM auth_logs
 WHERE status = 'Failed' AND source_ip = $1
 ORDER BY ts`,
    params: ['192.168.1.77'],
    naiveSql: `SELECT * FROM logs WHERE log_type = 'auth' AND parsed_data->>'status' = 'Failed' AND parsed_data->>'source_ip' = $1 ORDER BY timestamp`,
  },
  {
    id: 'q3b', file: 'q3b_brute_force_users.sql', title: 'failed SSH attempts per username', indexed: true,
    sql: `SELECT username, count(*) AS failures
  FROM auth_logs
 WHERE status = 'Failed'
 GROUP BY username
 ORDER BY failures DESC`,
    params: [],
    naiveSql: `SELECT parsed_data->>'username', count(*) FROM logs WHERE log_type = 'auth' AND parsed_data->>'status' = 'Failed' GROUP BY 1 ORDER BY 2 DESC`,
  },
  {
    id: 'q4', file: 'q4_capacity_per_hour.sql', title: 'events per log type per hour (hourly rollup)', indexed: false,
    sql: `SELECT log_type, hour, events
  FROM logpipe.hourly_counts
 ORDER BY hour, log_type`,
    params: [],
    naiveSql: `SELECT log_type, date_trunc('hour', timestamp::timestamptz) AS hour, count(*) FROM logs GROUP BY 1, 2 ORDER BY 2, 1`,
  },
  {
    id: 'q5', file: 'q5_top_talkers.sql', title: 'top 20 firewall source IPs by events (daily rollup)', indexed: false,
    sql: `SELECT key_value::inet AS src_ip, sum(events)::bigint AS events
  FROM logpipe.daily_key_counts
 WHERE log_type = 'firewall' AND key_column = 'src_ip'
 GROUP BY key_value
 ORDER BY events DESC
 LIMIT 20`,
    params: [],
    naiveSql: `SELECT parsed_data->>'src', count(*) FROM logs WHERE log_type = 'firewall' GROUP BY 1 ORDER BY 2 DESC LIMIT 20`,
  },
  {
    id: 'q6', file: 'q6_lateral_movement.sql', title: 'connections to port 3389 by source and destination, top 20', indexed: true,
    sql: `SELECT src_ip, dst_ip, count(*) AS connections
  FROM firewall_logs
 WHERE dst_port = $1
 GROUP BY src_ip, dst_ip
 ORDER BY connections DESC
 LIMIT 20`,
    params: [3389],
    naiveSql: `SELECT parsed_data->>'src', parsed_data->>'dst', count(*) FROM logs
 WHERE log_type = 'firewall' AND parsed_data->>'dst_port' = $1::text GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20`,
  },
];

function literal(p: unknown): string {
  if (Array.isArray(p)) return `ARRAY[${p.map(literal).join(', ')}]`;
  if (typeof p === 'number') return String(p);
  return `'${String(p).replaceAll("'", "''")}'`;
}

/** The query as a psql-ready file: parameters inlined, highest placeholder first ($10 before $1). */
export function renderQueryFile(q: AnalystQuery): string {
  let sql = q.sql;
  for (let i = q.params.length; i >= 1; i--) sql = sql.replaceAll(`$${i}`, literal(q.params[i - 1]));
  return `-- ${q.id.toUpperCase()}: ${q.title}\n-- (parameters inlined; logpipe binds them as $1, $2, …)\n${sql};\n`;
}
