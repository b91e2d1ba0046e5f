-- Q3A: failed SSH logins from one source IP, newest first
-- (as `logpipe query failed-logins` runs it with the seed's arguments; parameters inlined)
SELECT ts, hostname, username, auth_method, invalid_user, source_port
  FROM auth_logs
 WHERE status = 'Failed' AND source_ip = '192.168.1.77'::inet
 ORDER BY ts DESC
 LIMIT 1000;
