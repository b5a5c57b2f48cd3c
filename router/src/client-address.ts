import { BlockList, isIP } from 'node:net';

/** Addresses and networks whose X-Forwarded-For the router believes. */
export interface TrustedProxies {
  has(address: string): boolean;
}

const NOBODY: TrustedProxies = { has: () => false };

/**
 * An address as the router compares it: IPv4-mapped IPv6 (`::ffff:10.0.0.1`, as a dual-stack
 * socket reports IPv4 peers) as plain IPv4; brackets and an IPv4 port dropped (`[::1]`,
 * `10.0.0.1:5000`). null when it is not an IP address.
 */
export function normalizeAddress(raw: string): string | null {
  let value = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) value = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(value);
  if (mapped) value = mapped[1]!;
  const version = isIP(value);
  if (version === 0) return null;
  return version === 6 ? value.toLowerCase() : value;
}

/**
 * `ROUTER_TRUSTED_PROXIES` entries: addresses (`10.0.0.5`, `::1`) or CIDRs (`10.0.0.0/8`,
 * `fd00::/8`). Throws on an entry that is neither, naming it.
 */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  if (entries.length === 0) return NOBODY;
  const list = new BlockList();
  for (const entry of entries) {
    const problem = addEntry(list, entry);
    if (problem) throw new Error(`'${entry}' ${problem}`);
  }
  return {
    has(address) {
      const normalized = normalizeAddress(address);
      if (normalized === null) return false;
      return list.check(normalized, isIP(normalized) === 6 ? 'ipv6' : 'ipv4');
    },
  };
}

/** Adds one entry; the problem with it when it is not an address or CIDR. */
function addEntry(list: BlockList, entry: string): string | null {
  const [address, prefixText, ...rest] = entry.trim().split('/');
  const normalized = normalizeAddress(address ?? '');
  if (normalized === null || rest.length > 0 || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) {
    return 'must be an IP address or a CIDR such as 10.0.0.0/8 or fd00::/8';
  }
  const type = isIP(normalized) === 6 ? 'ipv6' : 'ipv4';
  if (prefixText === undefined) {
    list.addAddress(normalized, type);
    return null;
  }
  const prefix = Number(prefixText);
  if (prefix > (type === 'ipv6' ? 128 : 32)) return `has a prefix longer than an ${type === 'ipv6' ? 'IPv6' : 'IPv4'} address`;
  list.addSubnet(normalized, prefix, type);
  return null;
}

/**
 * The client's address. The socket's peer, unless it is a trusted proxy: then X-Forwarded-For
 * is read right to left (each proxy appends the address it was called from), skipping trusted
 * hops, and the first address not trusted is the client. When every hop is trusted, or an
 * entry is not an address, the last address reached stands (nothing further can be believed).
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string {
  const peer = (socketAddress && normalizeAddress(socketAddress)) ?? socketAddress ?? 'unknown';
  if (!trusted.has(peer) || forwardedFor === undefined) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  let current = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]!);
    if (hop === null) return current;
    current = hop;
    if (!trusted.has(current)) return current;
  }
  return current;
}
