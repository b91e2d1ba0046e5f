/** The analysts' questions of SSH authentication (DESIGN §4: Q3 brute force, from one source and per username). */
import { hybrid, limit, naiveWindow, plainWindow, type Investigation } from '../query/investigation.js';
import { and, Params, tsCondition } from '../query/windows.js';

const LIST = 'ts, hostname, username, auth_method, invalid_user, source_port';

export const authInvestigations: Investigation[] = [
  {
    id: 'q3a', command: 'failed-logins', title: 'failed SSH logins from one source IP, newest first', list: true, needs: ['ip'],
    seed: { ip: '192.168.1.77' }, file: 'q3a_brute_force_source.sql',
    build(a) {
      const p = new Params();
      return {
        sql: `SELECT ${LIST}
  FROM auth_logs
 WHERE ${and(`status = 'Failed'`, `source_ip = ${p.add(a.ip, '::inet')}`, tsCondition(a.window, p))}
 ORDER BY ts DESC${limit(p, a)}`,
        params: p.values,
      };
    },
    reference(a) {
      const p = new Params();
      return { sql: `SELECT ${LIST} FROM auth_logs WHERE status = 'Failed' AND source_ip = ${p.add(a.ip, '::inet')} AND ${plainWindow(a, p)} ORDER BY ts DESC${limit(p, a)}`, params: p.values };
    },
    naive(a) {
      const p = new Params();
      return {
        sql: `SELECT * FROM logs WHERE ${and(`log_type = 'auth'`, `parsed_data->>'status' = 'Failed'`, `parsed_data->>'source_ip' = ${p.add(a.ip)}`, naiveWindow(a, p))} ORDER BY timestamp DESC${limit(p, a)}`,
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
    reference(a) {
      const p = new Params();
      return { sql: `SELECT username, count(*)::bigint AS failures FROM auth_logs WHERE status = 'Failed' AND ${plainWindow(a, p)} GROUP BY 1 ORDER BY failures DESC, username`, params: p.values };
    },
    naive(a) {
      const p = new Params();
      return { sql: `SELECT parsed_data->>'username', count(*) FROM logs WHERE ${and(`log_type = 'auth'`, `parsed_data->>'status' = 'Failed'`, naiveWindow(a, p))} GROUP BY 1 ORDER BY 2 DESC`, params: p.values };
    },
  },
];
