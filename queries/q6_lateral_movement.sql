-- Q6: connections to port 3389 by source and destination, top 20
-- (parameters inlined; logpipe binds them as $1, $2, …)
SELECT src_ip, dst_ip, count(*) AS connections
  FROM firewall_logs
 WHERE dst_port = 3389
 GROUP BY src_ip, dst_ip
 ORDER BY connections DESC
 LIMIT 20;
