-- Q3B: failed SSH attempts per username
-- (as `logpipe query failures-by-user` runs it with the seed's arguments; parameters inlined)
SELECT username, sum(n)::bigint AS failures FROM (
  SELECT username, sum(events) AS n FROM logpipe.auth_failures_daily WHERE true GROUP BY 1
) u
 GROUP BY username
 ORDER BY failures DESC, username;
