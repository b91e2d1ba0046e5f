-- Q3B: failed SSH attempts per username
-- (parameters inlined; logpipe binds them as $1, $2, …)
SELECT username, count(*) AS failures
  FROM auth_logs
 WHERE status = 'Failed'
 GROUP BY username
 ORDER BY failures DESC;
