-- Q2A: DNS queries for one IOC domain
-- (parameters inlined; logpipe binds them as $1, $2, …)
SELECT ts, client_ip, query_type, server_ip, response_code
  FROM dns_logs
 WHERE query_domain = 'evil-domain.com'
 ORDER BY ts DESC;
