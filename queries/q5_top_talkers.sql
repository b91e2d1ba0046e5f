-- Q5: top firewall source IPs by events
-- (as `logpipe query top-talkers` runs it with the seed's arguments; parameters inlined)
SELECT src_ip, sum(n)::bigint AS events FROM (
  SELECT src_ip, sum(events) AS n FROM logpipe.firewall_sources_daily WHERE true GROUP BY 1
) u
 GROUP BY src_ip
 ORDER BY events DESC, src_ip
 LIMIT 20;
