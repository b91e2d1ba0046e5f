-- Q2B: DNS queries for a list of IOC domains: queries, distinct clients, first and last seen
-- (as `logpipe query dns-iocs` runs it with the seed's arguments; parameters inlined)
WITH counts AS (
  SELECT query_domain, sum(events) AS queries, min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM logpipe.dns_domains_hourly WHERE query_domain = ANY(ARRAY['evil-domain.com', 'malware-c2.bad', 'data-exfil.bad', 'phishing-login.evil']::text[]) GROUP BY 1
), clients AS (
  SELECT query_domain, count(DISTINCT client_ip) AS clients FROM (
  SELECT query_domain, client_ip FROM logpipe.dns_domain_clients_daily WHERE query_domain = ANY(ARRAY['evil-domain.com', 'malware-c2.bad', 'data-exfil.bad', 'phishing-login.evil']::text[])
  ) pairs GROUP BY 1
)
SELECT c.query_domain, sum(c.queries)::bigint AS queries, max(cl.clients)::bigint AS clients, min(c.first_seen) AS first_seen, max(c.last_seen) AS last_seen
  FROM counts c LEFT JOIN clients cl USING (query_domain)
 GROUP BY c.query_domain
 ORDER BY queries DESC, c.query_domain;
