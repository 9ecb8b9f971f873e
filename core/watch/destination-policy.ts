import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { HubError } from '../errors.ts';

/**
 * Where webhooks may deliver (README "Security": webhook destinations). A webhook URL is chosen by
 * an admin key, but the hub posts from inside the network: without a policy a leaked admin key, or
 * a mistaken URL, turns the hub into a way into internal services and the cloud's metadata service
 * (server-side request forgery, OWASP SSRF Prevention Cheat Sheet). So:
 * - link-local, unspecified, multicast, broadcast and reserved addresses, and the cloud metadata
 *   endpoints (169.254.169.254, fd00:ec2::254, 100.100.100.200, metadata.google.internal) are
 *   refused always;
 * - loopback, private (RFC 1918, RFC 4193), carrier-grade NAT, NAT64 and the other special ranges
 *   are refused unless `webhooks.allowPrivateTargets` lists them (a CIDR, an address or a host name);
 * - public unicast addresses are allowed.
 * The check applies to every address a name resolves to, after resolution, and again at every
 * delivery on the address actually connected to (`lookup`), so a name re-pointed after creation
 * (DNS rebinding) is caught. Numeric spellings of an address (`2130706433`, `0x7f.1`,
 * `[::ffff:127.0.0.1]`) are normalized by the URL parser and by ipaddr.js before the check.
 */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', 'fd00:ec2::23']);
const ALWAYS_REFUSED = new Set(['linkLocal', 'unspecified', 'multicast', 'broadcast', 'reserved']);

export type Verdict = { ok: true } | { ok: false; reason: string };

export class DestinationPolicy {
  private readonly cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  private readonly hosts = new Set<string>();

  /** `allow`: webhooks.allowPrivateTargets. Throws on an entry that is neither a CIDR, an address nor a host name. */
  constructor(allow: readonly string[]) {
    allow.forEach((entry, i) => {
      const e = entry.trim().toLowerCase();
      if (e.includes('/')) {
        try {
          const [addr, bits] = ipaddr.parseCIDR(e);
          this.cidrs.push([normalize(addr), addr.kind() === 'ipv6' && normalize(addr).kind() === 'ipv4' ? bits - 96 : bits]);
        } catch {
          throw new HubError('HUB_ERR_CONFIG', `webhooks.allowPrivateTargets[${i}]: not a CIDR: ${entry}`);
        }
      } else if (ipaddr.isValid(e.replace(/^\[|\]$/g, ''))) {
        const a = normalize(ipaddr.parse(e.replace(/^\[|\]$/g, '')));
        this.cidrs.push([a, a.kind() === 'ipv4' ? 32 : 128]);
      } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(e)) {
        this.hosts.add(e.replace(/\.$/, ''));
      } else {
        throw new HubError('HUB_ERR_CONFIG', `webhooks.allowPrivateTargets[${i}]: not a CIDR, an address or a host name: ${entry}`);
      }
    });
  }

  /** Whether `host` (as named in the URL) may be reached at `address`. */
  check(host: string, address: string): Verdict {
    const name = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
    if (METADATA_NAMES.has(name)) return { ok: false, reason: `${name} is a cloud metadata service` };
    if (!ipaddr.isValid(address)) return { ok: false, reason: `not an address: ${address}` };
    const a = normalize(ipaddr.parse(address));
    const text = a.toString();
    if (METADATA_ADDRESSES.has(text)) return { ok: false, reason: `${text} is a cloud metadata address` };
    const range = a.range();
    if (ALWAYS_REFUSED.has(range)) return { ok: false, reason: `${text} is a ${range} address` };
    if (range === 'unicast') return { ok: true };
    if (this.hosts.has(name)) return { ok: true };
    for (const [net, bits] of this.cidrs) if (net.kind() === a.kind() && a.match(net, bits)) return { ok: true };
    return { ok: false, reason: `${text} is a ${range} address; list it in webhooks.allowPrivateTargets to allow it` };
  }

  /**
   * What can be told of a URL without a name lookup: a metadata name, or a literal address in it,
   * checked as `check` does; undefined for a host name (resolved and checked at creation and at
   * every delivery). For the configuration, checked at load without depending on DNS then.
   */
  checkLiteral(url: string): Verdict | undefined {
    const host = new URL(url).hostname;
    const bare = host.replace(/^\[|\]$/g, '');
    if (METADATA_NAMES.has(bare.toLowerCase().replace(/\.$/, ''))) return { ok: false, reason: `${bare} is a cloud metadata service` };
    return isIP(bare) !== 0 ? this.check(host, bare) : undefined;
  }

  /** Resolves a URL's host and checks every address (at creation). Throws a HubError naming the URL. */
  async checkUrl(url: string, field = 'url'): Promise<void> {
    const host = new URL(url).hostname;
    const bare = host.replace(/^\[|\]$/g, '');
    // A metadata name or a literal address is judged before any lookup (a metadata name may not
    // resolve from here, and must not be tried).
    const literal = this.checkLiteral(url);
    if (literal !== undefined && !literal.ok) throw new HubError('HUB_ERR_WEBHOOK_DESTINATION', `${field}: destination refused: ${literal.reason}`, { status: 400 });
    let addresses: string[];
    if (isIP(bare) !== 0) addresses = [bare];
    else {
      try {
        addresses = (await resolveAll(bare)).map((a) => a.address);
      } catch {
        throw new HubError('HUB_ERR_WEBHOOK_DESTINATION', `${field}: ${host} does not resolve`, { status: 400 });
      }
    }
    for (const address of addresses) {
      const v = this.check(host, address);
      if (!v.ok) throw new HubError('HUB_ERR_WEBHOOK_DESTINATION', `${field}: destination refused: ${v.reason}`, { status: 400 });
    }
  }

  /**
   * A `lookup` for http.request: resolves, then refuses the connection unless every address passes,
   * so the address connected to is the one checked. (A literal address in the URL is not looked up
   * by Node: `checkUrl` covers it before each delivery.)
   */
  readonly lookup = (hostname: string, options: { all?: boolean; family?: number | string }, callback: (...args: unknown[]) => void): void => {
    resolveAll(hostname).then(
      (addresses) => {
        for (const a of addresses) {
          const v = this.check(hostname, a.address);
          if (!v.ok) return callback(new HubError('HUB_ERR_WEBHOOK_DESTINATION', `destination refused: ${v.reason}`));
        }
        if (options.all === true) return callback(null, addresses);
        const first = addresses[0]!;
        return callback(null, first.address, first.family);
      },
      (e: unknown) => callback(e),
    );
  };
}

function normalize(a: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
}

function resolveAll(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    const opts: LookupAllOptions = { all: true };
    dnsLookup(hostname, opts, (err, addresses) => (err !== null ? reject(err) : addresses.length === 0 ? reject(new Error('no address')) : resolve(addresses)));
  });
}
