-- Q1: firewall events from one source IP in a one-hour window
-- (parameters inlined; logpipe binds them as $1, $2, …)
SELECT ts, action, src_ip, dst_ip, proto, src_port, dst_port, bytes_sent, rule
  FROM firewall_logs
 WHERE src_ip = '192.168.1.50' AND ts >= '2024-01-15T01:00:00Z'::timestamptz AND ts < '2024-01-15T01:00:00Z'::timestamptz + interval '1 hour'
 ORDER BY ts;
