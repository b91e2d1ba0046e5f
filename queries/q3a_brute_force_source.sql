-- Q3A: failed SSH logins from one source IP
-- (parameters inlined; logpipe binds them as $1, $2, …)
SELECT ts, hostname, username, auth_method, invalid_user, source_port
  FROM auth_logs
 WHERE status = 'Failed' AND source_ip = '192.168.1.77'
 ORDER BY ts;
