/** The analysts' questions of DNS queries (DESIGN §4: Q2 threat hunting, one IOC domain and a list). */
import { hybrid, limit, naiveWindow, plainWindow, type Investigation } from '../query/investigation.js';
import { and, Params, tsCondition } from '../query/windows.js';

const IOCS = ['evil-domain.com', 'malware-c2.bad', 'data-exfil.bad', 'phishing-login.evil'];
const LIST = 'ts, client_ip, query_type, server_ip, response_code, hostname';

export const dnsInvestigations: Investigation[] = [
  {
    id: 'q2a', command: 'dns-domain', title: 'DNS queries for one IOC domain, newest first', list: true, needs: ['domain'],
    seed: { domains: ['evil-domain.com'] }, file: 'q2a_threat_hunt_domain.sql',
    build(a) {
      const p = new Params();
      return {
        // The index is on a hash of the domain (smaller): the query names the hash and the domain.
        sql: `SELECT ${LIST}
  FROM dns_logs
 WHERE ${and(`hashtextextended(query_domain, 0) = hashtextextended(${p.add(a.domains![0])}, 0)`, `query_domain = $1`, tsCondition(a.window, p))}
 ORDER BY ts DESC${limit(p, a)}`,
        params: p.values,
      };
    },
    reference(a) {
      const p = new Params();
      return { sql: `SELECT ${LIST} FROM dns_logs WHERE query_domain = ${p.add(a.domains![0])} AND ${plainWindow(a, p)} ORDER BY ts DESC${limit(p, a)}`, params: p.values };
    },
    naive(a) {
      const p = new Params();
      return { sql: `SELECT * FROM logs WHERE ${and(`log_type = 'dns'`, `parsed_data->>'query_domain' = ${p.add(a.domains![0])}`, naiveWindow(a, p))} ORDER BY timestamp DESC${limit(p, a)}`, params: p.values };
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
    reference(a) {
      const p = new Params();
      return {
        sql: `SELECT query_domain, count(*)::bigint AS queries, count(DISTINCT client_ip)::bigint AS clients, min(ts) AS first_seen, max(ts) AS last_seen
               FROM dns_logs WHERE query_domain = ANY(${p.add(a.domains, '::text[]')}) AND ${plainWindow(a, p)} GROUP BY 1 ORDER BY queries DESC, query_domain`,
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
];
