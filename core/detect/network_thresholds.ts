/**
 * @module network_thresholds
 * Thresholds per network (`detect.network_thresholds`, FastNetMon's host groups): a busy
 * server, a NAT gateway or a monitoring host gets its own values for the keys marked
 * `perNetwork`. The host a threshold is looked up for is the one the detector keys on: the
 * source for per-source detectors, the destination for flood and reflection. Looked up once,
 * when a host's state is made, never per packet.
 */
import { ipv6KeyWords, type TableKey } from "../packet/host_key.ts";
import { type Config, list, type NetworkOverride, num } from "../config/config.ts";
import { CidrSet, parseCidr } from "../packet/ip_address.ts";

/** One threshold key: its default, and the networks that set it otherwise (first match wins). */
export class NetworkThreshold {
  readonly #overrides: { networks: CidrSet; value: number }[];
  readonly #v6Words = new Int32Array(4);

  constructor(readonly base: number, overrides: { networks: CidrSet; value: number }[]) {
    this.#overrides = overrides;
  }

  /** True when some network sets this key (otherwise `of` always returns `base`). */
  get varies(): boolean {
    return this.#overrides.length > 0;
  }

  /** The threshold for the host `key` (an IPv4 word or an IPv6 key text). */
  of(key: TableKey): number {
    const overrides = this.#overrides;
    if (overrides.length === 0) return this.base;
    if (typeof key === "number") {
      for (const o of overrides) if (o.networks.hasIpv4(key)) return o.value;
      return this.base;
    }
    const words = this.#v6Words;
    ipv6KeyWords(key, words);
    for (const o of overrides) if (o.networks.hasIpv6(words, 0)) return o.value;
    return this.base;
  }
}

/** The threshold of `key` (a config key marked perNetwork), with its per-network values. */
export function networkThreshold(config: Config, key: string): NetworkThreshold {
  const entries = list(config, "detect.network_thresholds") as unknown as NetworkOverride[];
  const overrides = entries
    .filter((entry) => typeof entry[key] === "number")
    .map((entry) => ({
      networks: new CidrSet(entry.networks.map((text) => parseCidr(text)!)),
      value: entry[key] as number,
    }));
  return new NetworkThreshold(num(config, key), overrides);
}
