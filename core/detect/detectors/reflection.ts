/**
 * @module reflection
 * Responses a host never asked for, as the connection tracker reports them: UDP from reflector
 * ports (DNS, NTP, SSDP, memcached... amplification; later fragments of such responses count
 * with their first fragment's port) and SYN-ACKs without a SYN (SYN-ACK reflection, or
 * backscatter of a flood spoofing the host). Counted per (victim, kind, reflector port) in a
 * 1-second sliding window of packet time.
 */
import type { TableKey } from "../../packet/host_key.ts";
import { keyText } from "../../packet/host_key.ts";
import type { AlertManager } from "../alerts/alerts.ts";
import { detectorInfo } from "../catalog.ts";
import type { Detector, DetectorDeps, Unsolicited } from "../detector.ts";
import { type NetworkThreshold, networkThreshold } from "../network_thresholds.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "../tracking/keyed_state.ts";
import { protoName } from "../packet_context.ts";
import { exchangeKey } from "../tracking/tuple_key.ts";
import { RecentDistinct, SlidingCount } from "../tracking/windows.ts";

const WINDOW_US = 1_000_000;
/** Distinct reflectors counted per key and window; beyond: "at least N". */
const REFLECTOR_CAP = 16;

/** Services abused for UDP amplification, by source port (detect.reflection.udp_ports). */
export const REFLECTOR_SERVICES: Readonly<Record<number, string>> = {
  17: "QOTD",
  19: "chargen",
  53: "DNS",
  111: "portmap",
  123: "NTP",
  137: "NetBIOS",
  161: "SNMP",
  389: "CLDAP",
  500: "ISAKMP",
  1900: "SSDP",
  3283: "ARD",
  3702: "WS-Discovery",
  4500: "IPsec NAT-T",
  5683: "CoAP",
  10001: "Ubiquiti discovery",
  11211: "memcached",
};

/** "DNS amplification", "UDP amplification from port 9999", "SYN-ACK reflection". */
export function reflectionName(kind: Unsolicited["kind"], port: number): string {
  if (kind === "syn-ack") return "SYN-ACK reflection";
  const service = REFLECTOR_SERVICES[port];
  if (service !== undefined) return `${service} amplification`;
  return port >= 0 ? `UDP amplification from port ${port}` : "UDP amplification";
}

interface VictimRate extends KeyedEntry {
  packets: SlidingCount;
  reflectors: RecentDistinct;
  alertKey: string | null;
  /** Shared with the open alert's sentence: the most reflectors seen while alerting. */
  evidence: { reflectors: number; atLeast: boolean };
  /** The victim's threshold (detect.network_thresholds), looked up once. */
  threshold: number;
}

/** Fires when one host receives more unsolicited responses per second than allowed. */
export class Reflection implements Detector {
  readonly info = detectorInfo("reflection");
  readonly #threshold: NetworkThreshold;
  readonly #victims: KeyedState<VictimRate>;
  readonly #alerts: AlertManager;

  constructor(deps: DetectorDeps) {
    this.#threshold = networkThreshold(deps.config, "detect.reflection.packets_per_second");
    this.#victims = new KeyedState(
      "reflection.victims",
      deps.settings.reflection.max_tracked,
      2 * WINDOW_US,
    );
    this.#alerts = deps.alerts;
  }

  onUnsolicited(e: Unsolicited): void {
    const now = e.timestampUs;
    const key = stateKey(e.victim, e.kind, e.reflectorPort);
    let entry = this.#victims.get(key, now);
    if (entry === undefined) {
      entry = this.#victims.insert(key, {
        lastSeenUs: now,
        movedUs: now,
        packets: new SlidingCount(),
        reflectors: new RecentDistinct(REFLECTOR_CAP),
        alertKey: null,
        evidence: { reflectors: 0, atLeast: false },
        threshold: this.#threshold.of(e.victim),
      });
    }
    entry.reflectors.add(e.reflector, now, WINDOW_US);
    const count = entry.packets.add(now, WINDOW_US);
    if (count > entry.threshold) this.#fire(entry, e, count);
  }

  #fire(entry: VictimRate, e: Unsolicited, count: number): void {
    const now = e.timestampUs;
    const key = entry.alertKey ??= `${e.kind}|${e.reflectorPort}|${keyText(e.victim)}`;
    const reflectors = entry.reflectors.count(now, WINDOW_US);
    const atLeast = entry.reflectors.saturated(now, WINDOW_US);
    const evidence = entry.evidence;
    if (reflectors > evidence.reflectors) evidence.reflectors = reflectors;
    if (atLeast) evidence.atLeast = true;
    if (this.#alerts.observe(this.info, key, now, count)) return;
    const fresh = entry.evidence = { reflectors, atLeast };
    const single = entry.reflectors.only(now, WINDOW_US);
    const victim = keyText(e.victim);
    const threshold = entry.threshold;
    const name = reflectionName(e.kind, e.reflectorPort);
    const what = e.kind === "syn-ack" ? "SYN-ACKs without a SYN" : "unsolicited responses";
    const port = e.reflectorPort;
    const fromPort = port >= 0 ? ` from port ${port}` : "";
    this.#alerts.start(this.info, {
      key,
      timestampUs: now,
      srcIp: single === undefined ? undefined : keyText(single),
      srcPort: port >= 0 ? port : undefined,
      destIp: victim,
      proto: protoName(e.proto),
      observed: count,
      threshold,
      windowS: 1,
      direction: e.direction,
      render: (observed) =>
        `${name} toward ${victim}: ${observed} ${what}${fromPort} in 1 s from ` +
        `${fresh.atLeast ? "at least " : ""}${fresh.reflectors} ` +
        `${fresh.reflectors === 1 && !fresh.atLeast ? "reflector" : "reflectors"} ` +
        `(threshold ${threshold})`,
      explanation: `More than ${threshold} ${what} toward one host in a 1-second window: ` +
        "responses to requests it never sent, typically to spoofed requests sent in its name.",
    });
  }

  tick(nowUs: number): void {
    this.#victims.sweep(nowUs);
  }

  trackers(): TrackerStats[] {
    return [this.#victims.stats()];
  }
}

/** (victim, kind, port) as one key: a number (no string per packet; hashed for IPv6). */
function stateKey(victim: TableKey, kind: Unsolicited["kind"], port: number): TableKey {
  const low = (kind === "syn-ack" ? 0x10000 : 0) + (port & 0xffff);
  if (typeof victim === "number") return victim * 0x20000 + low;
  return exchangeKey(victim, port & 0xffff, victim, kind === "syn-ack" ? 1 : 0, 0);
}

/** Registry entry. */
export function createReflection(deps: DetectorDeps): Detector {
  return new Reflection(deps);
}
