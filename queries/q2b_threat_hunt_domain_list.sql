-- Q2B: DNS queries for a list of IOC domains
-- (parameters inlined; logpipe binds them as $1, $2, …)
SELECT query_domain, count(*) AS queries, count(DISTINCT client_ip) AS clients, min(ts) AS first_seen, max(ts) AS last_seen
  FROM dns_logs
 WHERE query_domain = ANY(ARRAY['evil-domain.com', 'malware-c2.bad', 'data-exfil.bad', 'phishing-login.evil']::text[])
 GROUP BY query_domain
 ORDER BY queries DESC;
