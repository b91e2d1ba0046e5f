-- Q6: connections to one destination port by source and destination
-- (as `logpipe query port` runs it with the seed's arguments; parameters inlined)
SELECT src_ip, dst_ip, events AS connections
  FROM logpipe.firewall_port_pairs
 WHERE dst_port = 3389
 ORDER BY events DESC, src_ip, dst_ip
 LIMIT 20;
