-- Q2A: DNS queries for one IOC domain, newest first
-- (as `logpipe query dns-domain` runs it with the seed's arguments; parameters inlined)
SELECT ts, client_ip, query_type, server_ip, response_code, hostname
  FROM dns_logs
 WHERE hashtextextended(query_domain, 0) = hashtextextended('evil-domain.com', 0) AND query_domain = 'evil-domain.com'
 ORDER BY ts DESC
 LIMIT 1000;
