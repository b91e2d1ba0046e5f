-- Q7: web requests of one client in a time window, newest first
-- (as `logpipe query proxy-client` runs it with the seed's arguments; parameters inlined)
SELECT ts, method, url, http_status, bytes, cache_result, user_name, content_type
  FROM proxy_logs
 WHERE client_ip = '192.168.1.50'::inet AND ts >= '2024-01-15T01:00:00.000Z'::timestamptz AND ts < '2024-01-15T02:00:00.000Z'::timestamptz
 ORDER BY ts DESC
 LIMIT 1000;
