-- Q4: events per log type per hour
-- (as `logpipe query volume` runs it with the seed's arguments; parameters inlined)
SELECT log_type, hour, sum(events)::bigint AS events FROM (
  SELECT log_type, hour, events FROM logpipe.hourly_counts WHERE true
) u
 GROUP BY log_type, hour
 ORDER BY hour, log_type;
