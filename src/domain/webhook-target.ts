import { BlockList, isIP } from 'node:net';
import { ValidationError } from './errors.js';

/**
 * Where a webhook may send: http(s) only, and never to addresses that reach
 * the store's own infrastructure. Link-local and cloud metadata addresses are
 * always refused (169.254.169.254 hands out cloud credentials); private and
 * loopback ranges only when the operator allows them (an air-gapped network
 * whose receivers are all private).
 */
export interface WebhookTargetPolicy {
  allowPrivate: boolean;
}

const NEVER = new BlockList();
NEVER.addSubnet('0.0.0.0', 8, 'ipv4');
NEVER.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, incl. 169.254.169.254 (AWS, GCP, Azure, OpenStack metadata)
NEVER.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
NEVER.addAddress('168.63.129.16', 'ipv4'); // Azure wire server
NEVER.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
NEVER.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved, broadcast
NEVER.addAddress('::', 'ipv6');
NEVER.addSubnet('fe80::', 10, 'ipv6'); // link-local
NEVER.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
NEVER.addSubnet('ff00::', 8, 'ipv6'); // multicast

const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6'); // unique local

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is checked as the IPv4 address it is. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/** Why an address may not receive webhooks, or null when it may. */
export function refusedAddress(address: string, policy: WebhookTargetPolicy): string | null {
  const { address: plain, family } = unmapped(address);
  if (NEVER.check(plain, family)) return `${address} is a link-local, metadata or reserved address`;
  if (!policy.allowPrivate && PRIVATE.check(plain, family)) {
    return `${address} is a private or loopback address (an operator may allow those with STORE_WEBHOOK_ALLOW_PRIVATE)`;
  }
  return null;
}

/** Parses a target url: http or https, a host, no credentials. Addresses are checked when resolved. */
export function parseWebhookTarget(text: string, field = 'target'): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError('target must be an absolute http:// or https:// url', field);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError('target must be an http:// or https:// url', field);
  if (url.username || url.password) throw new ValidationError('target must not carry credentials; use the secret to authenticate deliveries', field);
  if (text.length > 2000) throw new ValidationError('target must be at most 2000 characters', field);
  return url;
}

/** The host of a url without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}
