-- Q1: firewall events from one source IP in a time window
-- (as `logpipe query firewall-source` runs it with the seed's arguments; parameters inlined)
SELECT ts, action, src_ip, dst_ip, proto, src_port, dst_port, bytes_sent, rule, hostname
  FROM firewall_logs
 WHERE src_ip = '192.168.1.50'::inet AND date_trunc('hour', ts AT TIME ZONE 'UTC') >= '2024-01-15T01:00:00'::timestamp AND date_trunc('hour', ts AT TIME ZONE 'UTC') < '2024-01-15T02:00:00'::timestamp AND ts >= '2024-01-15T01:00:00.000Z'::timestamptz AND ts < '2024-01-15T02:00:00.000Z'::timestamptz
 ORDER BY ts DESC
 LIMIT 1000;
