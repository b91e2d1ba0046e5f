-- Q5: top 20 firewall source IPs by events (daily rollup)
-- (parameters inlined; logpipe binds them as $1, $2, …)
SELECT key_value::inet AS src_ip, sum(events)::bigint AS events
  FROM logpipe.daily_key_counts
 WHERE log_type = 'firewall' AND key_column = 'src_ip'
 GROUP BY key_value
 ORDER BY events DESC
 LIMIT 20;
