/**
 * Value pools shared by several log types (DESIGN §2): internal hosts and the 500 10.x.x.x
 * destinations, of which the first 10 are the DNS servers. Built once per seed, before any line.
 */
import { Rng } from '../core/rng.js';

export interface SharedPools {
  /** 192.168.1.1 – 192.168.1.254: firewall sources, DNS clients, SSH clients. */
  internalIps: string[];
  /** 500 random 10.x.x.x addresses: firewall destinations. */
  externalIps: string[];
  /** The first 10 external addresses. */
  dnsServers: string[];
}

export function buildPools(seed: number): SharedPools {
  const rng = new Rng(seed ^ 0x5eed);
  const internalIps = Array.from({ length: 254 }, (_, i) => `192.168.1.${i + 1}`);
  const externalIps = Array.from(
    { length: 500 },
    () => `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
  );
  return { internalIps, externalIps, dnsServers: externalIps.slice(0, 10) };
}
