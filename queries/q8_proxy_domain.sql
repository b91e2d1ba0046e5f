-- Q8: clients that fetched one domain through the proxy, most requests first: requests, bytes, first and last seen
-- (as `logpipe query proxy-domain` runs it with the seed's arguments; parameters inlined)
SELECT client_ip, count(*)::bigint AS requests, sum(bytes)::bigint AS bytes, min(ts) AS first_seen, max(ts) AS last_seen
  FROM proxy_logs
 WHERE hashtextextended(domain, 0) = hashtextextended('evil-domain.com', 0) AND domain = 'evil-domain.com'
 GROUP BY client_ip
 ORDER BY requests DESC, client_ip
 LIMIT 20;
