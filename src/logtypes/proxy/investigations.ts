/** The analysts' questions of web proxy requests: one client's requests in a window, and who fetched a domain. */
import { limit, plainWindow, type Investigation } from '../query/investigation.js';
import { and, Params, tsCondition } from '../query/windows.js';

const LIST = 'ts, method, url, http_status, bytes, cache_result, user_name, content_type';
const BY_CLIENT = `client_ip, count(*)::bigint AS requests, sum(bytes)::bigint AS bytes, min(ts) AS first_seen, max(ts) AS last_seen`;

export const proxyInvestigations: Investigation[] = [
  {
    id: 'q7', command: 'proxy-client', title: 'web requests of one client in a time window, newest first', list: true, needs: ['ip', 'from'],
    seed: { ip: '192.168.1.50', window: { from: new Date('2024-01-15T01:00:00Z'), to: new Date('2024-01-15T02:00:00Z') } },
    file: 'q7_proxy_client.sql',
    build(a) {
      const p = new Params();
      // The index is on (client_ip, ts): the client's requests of the window, newest first, straight off it.
      return {
        sql: `SELECT ${LIST}\n  FROM proxy_logs\n WHERE ${and(`client_ip = ${p.add(a.ip, '::inet')}`, tsCondition(a.window, p))}\n ORDER BY ts DESC${limit(p, a)}`,
        params: p.values,
      };
    },
    reference(a) {
      const p = new Params();
      return { sql: `SELECT ${LIST} FROM proxy_logs WHERE client_ip = ${p.add(a.ip, '::inet')} AND ${plainWindow(a, p)} ORDER BY ts DESC${limit(p, a)}`, params: p.values };
    },
  },
  {
    id: 'q8', command: 'proxy-domain', title: 'clients that fetched one domain through the proxy, most requests first: requests, bytes, first and last seen', list: false, needs: ['domain'],
    seed: { domains: ['evil-domain.com'] }, file: 'q8_proxy_domain.sql',
    build(a) {
      const p = new Params();
      // The index is on a hash of the domain, as for DNS: the query names the hash and the domain.
      const domain = p.add(a.domains![0]);
      return {
        sql: `SELECT ${BY_CLIENT}\n  FROM proxy_logs\n WHERE ${and(`hashtextextended(domain, 0) = hashtextextended(${domain}, 0)`, `domain = ${domain}`, tsCondition(a.window, p))}\n GROUP BY client_ip\n ORDER BY requests DESC, client_ip\n LIMIT ${p.add(a.top)}`,
        params: p.values,
      };
    },
    reference(a) {
      const p = new Params();
      return { sql: `SELECT ${BY_CLIENT} FROM proxy_logs WHERE domain = ${p.add(a.domains![0])} AND ${plainWindow(a, p)} GROUP BY client_ip ORDER BY requests DESC, client_ip LIMIT ${p.add(a.top)}`, params: p.values };
    },
  },
];
