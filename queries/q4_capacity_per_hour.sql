-- Q4: events per log type per hour (hourly rollup)
-- (parameters inlined; logpipe binds them as $1, $2, …)
SELECT log_type, hour, events
  FROM logpipe.hourly_counts
 ORDER BY hour, log_type;
