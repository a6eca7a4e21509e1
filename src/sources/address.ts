/**
 * Which addresses a source may be fetched from. A feed or a redirect could otherwise make the
 * server reach its own admin ports or the cloud metadata service (SSRF), so only public unicast
 * addresses are allowed unless ALLOW_PRIVATE_SOURCES=true, or the address lies in one of the
 * PRIVATE_SOURCE_RANGES (an intranet news server). The check runs on the address a connection
 * is actually made to — after DNS resolution, inside the socket's own lookup — so a name that
 * resolves differently the second time (DNS rebinding) gains nothing.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.js';

export interface AddressPolicy {
  allowPrivate: boolean;
  /** CIDR ranges allowed even when private addresses are not, e.g. `10.1.2.0/24`. */
  privateRanges: string[];
}

/** Thrown for a refused address; a permanent failure of that url. */
export class RefusedAddress extends AppError {
  constructor(host: string, address: string) {
    super(
      'forbidden',
      `sources: refused ${host} (${address}): loopback, private and link-local addresses are not fetched; set ALLOW_PRIVATE_SOURCES=true or list the range in PRIVATE_SOURCE_RANGES`,
    );
  }
}

/**
 * True when `address` may be connected to under the policy.
 * @example addressAllowed('127.0.0.1', { allowPrivate: false, privateRanges: [] }) // false
 */
export function addressAllowed(address: string, policy: AddressPolicy): boolean {
  if (!ipaddr.isValid(address)) return false;
  // ::ffff:127.0.0.1 is 127.0.0.1.
  const ip = ipaddr.process(address);
  if (policy.allowPrivate) return true;
  if (ip.range() === 'unicast') return true;
  return policy.privateRanges.some((cidr) => {
    const [range, bits] = ipaddr.parseCIDR(cidr);
    return range.kind() === ip.kind() && ip.match(range, bits);
  });
}

/** Checks a url's host when it is an address literal (sockets skip the lookup for those). */
export function checkLiteralHost(url: URL, policy: AddressPolicy): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host) && !addressAllowed(host, policy)) throw new RefusedAddress(url.hostname, host);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net.connect that resolves as usual and refuses the connection when any
 * resolved address is not allowed (one refused address is enough: the socket may pick any).
 */
export function guardedLookup(policy: AddressPolicy) {
  return (hostname: string, options: LookupAllOptions | number | undefined, callback: LookupCallback) => {
    const opts: Partial<LookupAllOptions> & { all?: boolean } = typeof options === 'object' ? options : {};
    dnsLookup(hostname, { family: opts.family ?? 0, hints: opts.hints, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const bad = addresses.find((a) => !addressAllowed(a.address, policy));
      if (bad) return callback(new RefusedAddress(hostname, bad.address) as unknown as NodeJS.ErrnoException, '');
      if (opts.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
