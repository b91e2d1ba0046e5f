/**
 * The analysts' questions (DESIGN §4) as investigations with named parameters and a time window.
 * Lists of events come newest first, a page at a time; questions over everything read rollups
 * (whole hours or days) plus the window's edges from the log tables (src/store/windows.ts).
 * `logpipe query` runs them, `logpipe queries` runs the seed's six with their defaults, and
 * queries/*.sql holds the seed's versions for psql.
 */
import { DAY_MS } from './partitions.js';
import { and, bucketCondition, EVERYTHING, Params, splitWindow, tsCondition, type Window } from './windows.js';

const HOUR_MS = 3_600_000;

export interface QueryArgs {
  ip?: string;
  domains?: string[];
  port?: number;
  window: Window;
  /** Rows of a list (a page); null: all of them, streamed. */
  limit: number | null;
  /** Rows of a ranking (Q5, Q6). */
  top: number;
}

export interface BuiltQuery {
  sql: string;
  params: unknown[];
}

export interface Investigation {
  id: string;
  /** `logpipe query <command>`. */
  command: string;
  title: string;
  /** A list of events (newest first, paged) rather than a summary. */
  list: boolean;
  /** Parameters it needs. */
  needs: ('ip' | 'domains' | 'port' | 'from')[];
  /** The seed's question: its arguments (the rest default). */
  seed: Partial<QueryArgs>;
  /** queries/<file>: the seed's question for psql. */
  file: string;
  build(a: QueryArgs, watchedPorts: readonly number[]): BuiltQuery;
  /** The same question on the naive JSONB `logs` table, for the benchmark. */
  naive(a: QueryArgs): BuiltQuery;
}

export const DEFAULT_PAGE = 1_000;
const IOCS = ['evil-domain.com', 'malware-c2.bad', 'data-exfil.bad', 'phishing-login.evil'];

/** The UTC hour at or before (floor) / at or after (ceil) an instant, as a timestamp without zone. */
function hourOf(d: Date, how: 'floor' | 'ceil'): string {
  const h = (how === 'floor' ? Math.floor : Math.ceil)(d.getTime() / HOUR_MS) * HOUR_MS;
  return new Date(h).toISOString().slice(0, 19);
}

function list(p: Params, a: QueryArgs): string {
  return a.limit === null ? '' : `\n LIMIT ${p.add(a.limit)}`;
}

/** Rows from a rollup for the window's whole buckets, plus the same from the table for its edges. */
function hybrid(
  a: QueryArgs,
  grain: 'hour' | 'day',
  p: Params,
  fromRollup: (bucketCond: string) => string,
  fromTable: (tsCond: string) => string,
): string {
  const split = splitWindow(a.window, grain === 'hour' ? HOUR_MS : DAY_MS);
  const parts: string[] = [];
  if (split.whole) parts.push(fromRollup(bucketCondition(split.whole, grain, p)));
  if (split.edges.length) parts.push(fromTable(`(${split.edges.map((e) => tsCondition(e, p)).join(' OR ')})`));
  return parts.join('\n  UNION ALL\n  ');
}

const naiveWindow = (a: QueryArgs, p: Params) =>
  and(
    a.window.from ? `timestamp >= ${p.add(a.window.from.toISOString().slice(0, 19))}` : '',
    a.window.to ? `timestamp < ${p.add(a.window.to.toISOString().slice(0, 19))}` : '',
  );

export const INVESTIGATIONS: Investigation[] = [
  {
    id: 'q1', command: 'firewall-source', title: 'firewall events from one source IP in a time window', list: true, needs: ['ip', 'from'],
    seed: { ip: '192.168.1.50', window: { from: new Date('2024-01-15T01:00:00Z'), to: new Date('2024-01-15T02:00:00Z') } },
    file: 'q1_incident_response.sql',
    build(a) {
      const p = new Params();
      // The index is on (src_ip, the UTC hour): the hours of the window, then the window exactly.
      const hour = `date_trunc('hour', ts AT TIME ZONE 'UTC')`;
      const hours = and(
        a.window.from ? `${hour} >= ${p.add(hourOf(a.window.from, 'floor'), '::timestamp')}` : '',
        a.window.to ? `${hour} < ${p.add(hourOf(a.window.to, 'ceil'), '::timestamp')}` : '',
      );
      return {
        sql: `SELECT ts, action, src_ip, dst_ip, proto, src_port, dst_port, bytes_sent, rule, hostname
  FROM firewall_logs
 WHERE ${and(`src_ip = ${p.add(a.ip, '::inet')}`, hours, tsCondition(a.window, p))}
 ORDER BY ts DESC${list(p, a)}`,
        params: p.values,
      };
    },
    naive(a) {
      const p = new Params();
      return { sql: `SELECT * FROM logs WHERE ${and(`log_type = 'firewall'`, `parsed_data->>'src' = ${p.add(a.ip)}`, naiveWindow(a, p))} ORDER BY timestamp DESC${list(p, a)}`, params: p.values };
    },
  },
  {
    id: 'q2a', command: 'dns-domain', title: 'DNS queries for one IOC domain, newest first', list: true, needs: ['domains'],
    seed: { domains: ['evil-domain.com'] }, file: 'q2a_threat_hunt_domain.sql',
    build(a) {
      const p = new Params();
      return {
        // The index is on a hash of the domain (smaller): the query names the hash and the domain.
        sql: `SELECT ts, client_ip, query_type, server_ip, response_code, hostname
  FROM dns_logs
 WHERE ${and(`hashtextextended(query_domain, 0) = hashtextextended(${p.add(a.domains![0])}, 0)`, `query_domain = $1`, tsCondition(a.window, p))}
 ORDER BY ts DESC${list(p, a)}`,
        params: p.values,
      };
    },
    naive(a) {
      const p = new Params();
      return { sql: `SELECT * FROM logs WHERE ${and(`log_type = 'dns'`, `parsed_data->>'query_domain' = ${p.add(a.domains![0])}`, naiveWindow(a, p))} ORDER BY timestamp DESC${list(p, a)}`, params: p.values };
    },
  },
  {
    id: 'q2b', command: 'dns-iocs', title: 'DNS queries for a list of IOC domains: queries, distinct clients, first and last seen', list: false, needs: ['domains'],
    seed: { domains: IOCS }, file: 'q2b_threat_hunt_domain_list.sql',
    build(a) {
      const p = new Params();
      const list = p.add(a.domains, '::text[]');
      // The table's domain index is on a hash of the domain: the edges name the hashes too.
      const inList = `hashtextextended(query_domain, 0) = ANY (ARRAY(SELECT hashtextextended(d, 0) FROM unnest(${list}) d)) AND query_domain = ANY(${list})`;
      const counts = hybrid(a, 'hour', p,
        (w) => `SELECT query_domain, sum(events) AS queries, min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM logpipe.dns_domains_hourly WHERE ${and(`query_domain = ANY(${list})`, w)} GROUP BY 1`,
        (w) => `SELECT query_domain, count(*) AS queries, min(ts) AS first_seen, max(ts) AS last_seen FROM dns_logs WHERE ${inList} AND ${w} GROUP BY 1`);
      const clients = hybrid(a, 'day', p,
        (w) => `SELECT query_domain, client_ip FROM logpipe.dns_domain_clients_daily WHERE ${and(`query_domain = ANY(${list})`, w)}`,
        (w) => `SELECT query_domain, client_ip FROM dns_logs WHERE ${inList} AND ${w}`);
      return {
        sql: `WITH counts AS (
  ${counts}
), clients AS (
  SELECT query_domain, count(DISTINCT client_ip) AS clients FROM (
  ${clients}
  ) pairs GROUP BY 1
)
SELECT c.query_domain, sum(c.queries)::bigint AS queries, max(cl.clients)::bigint AS clients, min(c.first_seen) AS first_seen, max(c.last_seen) AS last_seen
  FROM counts c LEFT JOIN clients cl USING (query_domain)
 GROUP BY c.query_domain
 ORDER BY queries DESC, c.query_domain`,
        params: p.values,
      };
    },
    naive(a) {
      const p = new Params();
      return {
        sql: `SELECT parsed_data->>'query_domain', count(*), count(DISTINCT parsed_data->>'client_ip'), min(timestamp), max(timestamp)
  FROM logs WHERE ${and(`log_type = 'dns'`, `parsed_data->>'query_domain' = ANY(${p.add(a.domains, '::text[]')})`, naiveWindow(a, p))} GROUP BY 1 ORDER BY 2 DESC`,
        params: p.values,
      };
    },
  },
  {
    id: 'q3a', command: 'failed-logins', title: 'failed SSH logins from one source IP, newest first', list: true, needs: ['ip'],
    seed: { ip: '192.168.1.77' }, file: 'q3a_brute_force_source.sql',
    build(a) {
      const p = new Params();
      return {
        sql: `SELECT ts, hostname, username, auth_method, invalid_user, source_port
  FROM auth_logs
 WHERE ${and(`status = 'Failed'`, `source_ip = ${p.add(a.ip, '::inet')}`, tsCondition(a.window, p))}
 ORDER BY ts DESC${list(p, a)}`,
        params: p.values,
      };
    },
    naive(a) {
      const p = new Params();
      return {
        sql: `SELECT * FROM logs WHERE ${and(`log_type = 'auth'`, `parsed_data->>'status' = 'Failed'`, `parsed_data->>'source_ip' = ${p.add(a.ip)}`, naiveWindow(a, p))} ORDER BY timestamp DESC${list(p, a)}`,
        params: p.values,
      };
    },
  },
  {
    id: 'q3b', command: 'failures-by-user', title: 'failed SSH attempts per username', list: false, needs: [],
    seed: {}, file: 'q3b_brute_force_users.sql',
    build(a) {
      const p = new Params();
      const parts = hybrid(a, 'day', p,
        (w) => `SELECT username, sum(events) AS n FROM logpipe.auth_failures_daily WHERE ${and(w)} GROUP BY 1`,
        (w) => `SELECT username, count(*) AS n FROM auth_logs WHERE status = 'Failed' AND ${w} GROUP BY 1`);
      return { sql: `SELECT username, sum(n)::bigint AS failures FROM (\n  ${parts}\n) u\n GROUP BY username\n ORDER BY failures DESC, username`, params: p.values };
    },
    naive(a) {
      const p = new Params();
      return { sql: `SELECT parsed_data->>'username', count(*) FROM logs WHERE ${and(`log_type = 'auth'`, `parsed_data->>'status' = 'Failed'`, naiveWindow(a, p))} GROUP BY 1 ORDER BY 2 DESC`, params: p.values };
    },
  },
  {
    id: 'q4', command: 'volume', title: 'events per log type per hour', list: false, needs: [],
    seed: {}, file: 'q4_capacity_per_hour.sql',
    build(a) {
      const p = new Params();
      const parts = hybrid(a, 'hour', p,
        (w) => `SELECT log_type, hour, events FROM logpipe.hourly_counts WHERE ${and(w)}`,
        (w) => ['firewall_logs', 'dns_logs', 'auth_logs']
          .map((t) => `SELECT '${t.replace('_logs', '')}' AS log_type, date_trunc('hour', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, count(*) AS events FROM ${t} WHERE ${w} GROUP BY 2`)
          .join('\n  UNION ALL\n  '));
      return { sql: `SELECT log_type, hour, sum(events)::bigint AS events FROM (\n  ${parts}\n) u\n GROUP BY log_type, hour\n ORDER BY hour, log_type`, params: p.values };
    },
    naive(a) {
      const p = new Params();
      return { sql: `SELECT log_type, date_trunc('hour', timestamp::timestamptz) AS hour, count(*) FROM logs WHERE ${and(naiveWindow(a, p))} GROUP BY 1, 2 ORDER BY 2, 1`, params: p.values };
    },
  },
  {
    id: 'q5', command: 'top-talkers', title: 'top firewall source IPs by events', list: false, needs: [],
    seed: {}, file: 'q5_top_talkers.sql',
    build(a) {
      const p = new Params();
      const parts = hybrid(a, 'day', p,
        (w) => `SELECT src_ip, sum(events) AS n FROM logpipe.firewall_sources_daily WHERE ${and(w)} GROUP BY 1`,
        (w) => `SELECT src_ip, count(*) AS n FROM firewall_logs WHERE ${w} GROUP BY 1`);
      return { sql: `SELECT src_ip, sum(n)::bigint AS events FROM (\n  ${parts}\n) u\n GROUP BY src_ip\n ORDER BY events DESC, src_ip\n LIMIT ${p.add(a.top)}`, params: p.values };
    },
    naive(a) {
      const p = new Params();
      return { sql: `SELECT parsed_data->>'src', count(*) FROM logs WHERE ${and(`log_type = 'firewall'`, naiveWindow(a, p))} GROUP BY 1 ORDER BY 2 DESC LIMIT ${p.add(a.top)}`, params: p.values };
    },
  },
  {
    id: 'q6', command: 'port', title: 'connections to one destination port by source and destination', list: false, needs: ['port'],
    seed: { port: 3389 }, file: 'q6_lateral_movement.sql',
    build(a, watchedPorts) {
      const p = new Params();
      const port = p.add(a.port);
      const tail = `\n GROUP BY src_ip, dst_ip\n ORDER BY connections DESC, src_ip, dst_ip\n LIMIT `;
      if (watchedPorts.includes(a.port!) && !a.window.from && !a.window.to) {
        // Over everything, a watched port: the rollup's ranked index gives the top N at once.
        return {
          sql: `SELECT src_ip, dst_ip, events AS connections\n  FROM logpipe.firewall_port_pairs\n WHERE dst_port = ${port}\n ORDER BY events DESC, src_ip, dst_ip\n LIMIT ${p.add(a.top)}`,
          params: p.values,
        };
      }
      // A window, or a port not watched: the window's partitions, through the dst_port index.
      return { sql: `SELECT src_ip, dst_ip, count(*) AS connections\n  FROM firewall_logs\n WHERE ${and(`dst_port = ${port}`, tsCondition(a.window, p))}${tail}${p.add(a.top)}`, params: p.values };
    },
    naive(a) {
      const p = new Params();
      return {
        sql: `SELECT parsed_data->>'src', parsed_data->>'dst', count(*) FROM logs
 WHERE ${and(`log_type = 'firewall'`, `parsed_data->>'dst_port' = ${p.add(String(a.port))}`, naiveWindow(a, p))} GROUP BY 1, 2 ORDER BY 3 DESC LIMIT ${p.add(a.top)}`,
        params: p.values,
      };
    },
  },
];

/** The seed's question of an investigation, with the defaults `logpipe query` uses. */
export function seedArgs(q: Investigation): QueryArgs {
  return { window: EVERYTHING, limit: DEFAULT_PAGE, top: 20, ...q.seed };
}

function literal(v: unknown): string {
  if (Array.isArray(v)) return `ARRAY[${v.map(literal).join(', ')}]`;
  if (typeof v === 'number') return String(v);
  return `'${String(v).replaceAll("'", "''")}'`;
}

/** The seed's question as a psql-ready file: parameters inlined, highest placeholder first ($10 before $1). */
export function renderQueryFile(q: Investigation, watchedPorts: readonly number[]): string {
  const { sql, params } = q.build(seedArgs(q), watchedPorts);
  let out = sql;
  for (let i = params.length; i >= 1; i--) out = out.replaceAll(`$${i}`, literal(params[i - 1]));
  return `-- ${q.id.toUpperCase()}: ${q.title}\n-- (as \`logpipe query ${q.command}\` runs it with the seed's arguments; parameters inlined)\n${out};\n`;
}
