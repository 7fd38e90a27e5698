/**
 * @module direction
 * Classifies each packet as incoming, outgoing or other, relative to the monitoring host's own
 * addresses (live captures) and the configured home networks.
 */
import { CidrSet, parseCidr } from "./ip_address.ts";
import { F_ADDRESSES, F_IPV4, F_IPV6, W_DST_ADDR, W_SRC_ADDR } from "./packet_batch.ts";

export const DIRECTION_OTHER = 0;
export const DIRECTION_INCOMING = 1;
export const DIRECTION_OUTGOING = 2;
export const DIRECTION_NAMES = ["other", "incoming", "outgoing"] as const;
export type DirectionName = typeof DIRECTION_NAMES[number];

/**
 * Private, loopback and link-local ranges (Zeek and Suricata alike), plus multicast and
 * broadcast: traffic to a group stays on the local network, so it is never "outgoing".
 */
export const DEFAULT_HOME_NETWORKS: readonly string[] = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "100.64.0.0/10",
  "::1/128",
  "fc00::/7",
  "fe80::/10",
  "224.0.0.0/4",
  "255.255.255.255/32",
  "ff00::/8",
];

/**
 * Decides a packet's direction. With host addresses (live), a packet from one of them to any
 * other address is outgoing and the reverse incoming; everything else falls back to the home
 * networks: home -> outside is outgoing, outside -> home incoming, the rest other.
 */
export class DirectionClassifier {
  readonly #host: CidrSet;
  readonly #home: CidrSet;

  constructor(options: { homeNetworks: readonly string[]; hostAddresses?: readonly string[] }) {
    this.#home = new CidrSet(options.homeNetworks.map(mustParse));
    this.#host = new CidrSet((options.hostAddresses ?? []).map(mustParse));
  }

  /** The direction of the packet record at `base` (0 other, 1 incoming, 2 outgoing). */
  classify(fields: Int32Array, base: number, flags: number): number {
    if (!(flags & F_ADDRESSES)) return DIRECTION_OTHER;
    if (flags & F_IPV4) {
      const src = fields[base + W_SRC_ADDR]!, dst = fields[base + W_DST_ADDR]!;
      return this.#decide(
        this.#host.hasIpv4(src),
        this.#host.hasIpv4(dst),
        this.#home.hasIpv4(src),
        this.#home.hasIpv4(dst),
      );
    }
    if (flags & F_IPV6) {
      const src = base + W_SRC_ADDR, dst = base + W_DST_ADDR;
      return this.#decide(
        this.#host.hasIpv6(fields, src),
        this.#host.hasIpv6(fields, dst),
        this.#home.hasIpv6(fields, src),
        this.#home.hasIpv6(fields, dst),
      );
    }
    return DIRECTION_OTHER;
  }

  #decide(srcHost: boolean, dstHost: boolean, srcHome: boolean, dstHome: boolean): number {
    if (srcHost !== dstHost) return srcHost ? DIRECTION_OUTGOING : DIRECTION_INCOMING;
    const srcLocal = srcHome || srcHost, dstLocal = dstHome || dstHost;
    if (srcLocal === dstLocal) return DIRECTION_OTHER;
    return srcLocal ? DIRECTION_OUTGOING : DIRECTION_INCOMING;
  }
}

function mustParse(text: string) {
  const cidr = parseCidr(text);
  if (cidr === null) {
    throw new RangeError(`Cannot parse network "${text}": expected an address or CIDR`);
  }
  return cidr;
}
