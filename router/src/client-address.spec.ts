import { describe, expect, it } from 'vitest';
import { clientAddress, normalizeAddress, trustedProxies } from './client-address';

describe('trustedProxies', () => {
  it('matches IPv4 and IPv6 addresses and CIDRs', () => {
    const trusted = trustedProxies(['127.0.0.1/8', '::1', '10.1.2.3', 'fd00::/8']);
    expect(['127.0.0.1', '127.255.0.9', '::1', '10.1.2.3', 'fd12::5', '::ffff:127.0.0.1'].map((a) => trusted.has(a))).toEqual(Array(6).fill(true));
    expect(['128.0.0.1', '::2', '10.1.2.4', 'fe80::1', '192.168.0.1', 'not-an-ip'].map((a) => trusted.has(a))).toEqual(Array(6).fill(false));
  });

  it('trusts nobody when empty', () => {
    expect(trustedProxies([]).has('127.0.0.1')).toBe(false);
  });

  it('refuses entries that are neither an address nor a CIDR, naming them', () => {
    for (const entry of ['localhost', '10.0.0.0/33', '::/129', '10.0.0.0/8/1', '10.0.0.0/x', '']) {
      expect(() => trustedProxies([entry])).toThrow(`'${entry}'`);
    }
  });
});

describe('normalizeAddress', () => {
  it('takes IPv4-mapped IPv6 as IPv4 and drops brackets and ports', () => {
    expect(normalizeAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeAddress(' [2001:DB8::1]:443 ')).toBe('2001:db8::1');
    expect(normalizeAddress('192.0.2.1:5000')).toBe('192.0.2.1');
    expect(normalizeAddress('unknown')).toBeNull();
  });
});

describe('clientAddress', () => {
  const proxies = trustedProxies(['127.0.0.1/8', '::1', '10.0.0.0/8']);

  it('is the socket address when the peer is not a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.7', '198.51.100.1', proxies)).toBe('203.0.113.7');
    expect(clientAddress('::ffff:203.0.113.7', '198.51.100.1', proxies)).toBe('203.0.113.7');
    expect(clientAddress('127.0.0.1', '198.51.100.1', trustedProxies([]))).toBe('127.0.0.1');
  });

  it('is the socket address when a trusted proxy sends no X-Forwarded-For', () => {
    expect(clientAddress('127.0.0.1', undefined, proxies)).toBe('127.0.0.1');
  });

  it('walks X-Forwarded-For right to left, skipping trusted hops', () => {
    expect(clientAddress('127.0.0.1', '198.51.100.1', proxies)).toBe('198.51.100.1');
    expect(clientAddress('::1', '198.51.100.1, 10.0.0.2, 10.0.0.3', proxies)).toBe('198.51.100.1');
    expect(clientAddress('127.0.0.1', ['198.51.100.1', '10.0.0.2'], proxies)).toBe('198.51.100.1');
    expect(clientAddress('127.0.0.1', '2001:db8::7', proxies)).toBe('2001:db8::7');
  });

  it('does not believe what a client wrote in front of the first untrusted hop', () => {
    // The client sent "X-Forwarded-For: 1.1.1.1"; the trusted proxy appended the client's real address.
    expect(clientAddress('127.0.0.1', '1.1.1.1, 203.0.113.9', proxies)).toBe('203.0.113.9');
  });

  it('stops at the last address it could believe when every hop is trusted or an entry is garbage', () => {
    expect(clientAddress('127.0.0.1', '10.0.0.2, 10.0.0.3', proxies)).toBe('10.0.0.2');
    expect(clientAddress('127.0.0.1', '198.51.100.1, garbage, 10.0.0.3', proxies)).toBe('10.0.0.3');
    expect(clientAddress('127.0.0.1', '', proxies)).toBe('127.0.0.1');
  });
});
