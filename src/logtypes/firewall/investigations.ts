/** The analysts' questions of firewall events (DESIGN §4: Q1 incident response, Q5 top talkers, Q6 lateral movement). */
import { hourOf, hybrid, limit, naiveWindow, plainWindow, type Investigation } from '../query/investigation.js';
import { and, Params, tsCondition } from '../query/windows.js';

const LIST = 'ts, action, src_ip, dst_ip, proto, src_port, dst_port, bytes_sent, rule, hostname';

export const firewallInvestigations: Investigation[] = [
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
        sql: `SELECT ${LIST}
  FROM firewall_logs
 WHERE ${and(`src_ip = ${p.add(a.ip, '::inet')}`, hours, tsCondition(a.window, p))}
 ORDER BY ts DESC${limit(p, a)}`,
        params: p.values,
      };
    },
    reference(a) {
      const p = new Params();
      return { sql: `SELECT ${LIST} FROM firewall_logs WHERE src_ip = ${p.add(a.ip, '::inet')} AND ${plainWindow(a, p)} ORDER BY ts DESC${limit(p, a)}`, params: p.values };
    },
    naive(a) {
      const p = new Params();
      return { sql: `SELECT * FROM logs WHERE ${and(`log_type = 'firewall'`, `parsed_data->>'src' = ${p.add(a.ip)}`, naiveWindow(a, p))} ORDER BY timestamp DESC${limit(p, a)}`, params: p.values };
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
    reference(a) {
      const p = new Params();
      return { sql: `SELECT src_ip, count(*)::bigint AS events FROM firewall_logs WHERE ${plainWindow(a, p)} GROUP BY 1 ORDER BY events DESC, src_ip LIMIT ${p.add(a.top)}`, params: p.values };
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
    reference(a) {
      const p = new Params();
      return {
        sql: `SELECT src_ip, dst_ip, count(*)::bigint AS connections FROM firewall_logs WHERE dst_port = ${p.add(a.port)} AND ${plainWindow(a, p)}
               GROUP BY 1, 2 ORDER BY connections DESC, src_ip, dst_ip LIMIT ${p.add(a.top)}`,
        params: p.values,
      };
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
