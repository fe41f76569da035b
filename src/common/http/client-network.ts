import ipaddr from 'ipaddr.js';

/** How much of an IPv6 address one subscriber holds: a /64 is the smallest prefix ISPs hand out. */
const IPV6_SUBSCRIBER_PREFIX = 64;

/**
 * The network a client counts as, for per-client rate limits: an IPv4 address as it is, an IPv6 address
 * as its /64. One IPv6 host owns a whole /64 (2^64 addresses), so a bucket per full address would let it
 * take a fresh bucket for every request. IPv4-mapped IPv6 (`::ffff:192.0.2.1`) counts as the IPv4 address.
 */
export function clientNetwork(ip: string | null | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return 'unknown';
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${IPV6_SUBSCRIBER_PREFIX}`);
  return `${network.toString()}/${IPV6_SUBSCRIBER_PREFIX}`;
}
