/**
 * @module arp_spoofing
 * ARP cache poisoning, as arpspoof and ettercap do it: replies nobody asked for, telling hosts
 * that an address is at the attacker's MAC, repeated so caches stay poisoned. Two rules, one
 * alert per claiming MAC:
 *
 * - one MAC claims more than `detect.arp_spoofing.ips_per_mac` (1) addresses in unsolicited
 *   replies within the window (a man in the middle claims both ends);
 * - an unsolicited reply moves an address to a new MAC while the previous MAC claimed it within
 *   the window, so it is still in use (arpwatch's "changed ethernet address"; the previous
 *   owner reclaiming it and the reply coming again is its "flip flop").
 *
 * A reply is unsolicited when it is not gratuitous (sender address = target address, the way
 * failover, VRRP/HSRP and NIC changes announce themselves) and no request from its target for
 * its sender was seen within `detect.connections.attempt_timeout_s`. Answers to requests never
 * count, so proxy ARP, hosts with several addresses and ARP flux (two NICs answering) are
 * quiet; a new owner of a DHCP address announces it (probe, gratuitous ARP, requests) rather
 * than sending unsolicited replies. Bindings are learned from every claim: request and reply
 * senders, gratuitous ARP included.
 *
 * A claim belongs to the station that sent it: a reply whose link-layer source (Ethernet, or a
 * Linux cooked header's MAC) is known and differs from its ARP sender MAC is the link-layer
 * source's claim (arpwatch's "ethernet mismatch": a forged reply). So arpspoof's "restore"
 * replies, which name the victims' real MACs but come from the attacker, count for the
 * attacker, never for a victim. The binding still moves to the MAC the reply names.
 */
import type { AlertManager } from "../alerts/alerts.ts";
import { ARP_REPLY, ARP_REQUEST, arpAddressText, type ArpPacket, macText } from "../arp_packet.ts";
import { detectorInfo } from "../catalog.ts";
import type { Detector, DetectorDeps } from "../detector.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "../tracking/keyed_state.ts";
import { seconds } from "../alerts/evidence_text.ts";
import { pairKey } from "../tracking/tuple_key.ts";
import { DistinctRun } from "../tracking/windows.ts";

/** Addresses named in an alert sentence at most. */
const SAMPLE = 4;

/** The MAC an address was last claimed by. */
interface Binding extends KeyedEntry {
  mac: number;
  /** Last claim by `mac`, µs. */
  claimedUs: number;
}

/** Addresses one MAC claimed in unsolicited replies within the window. */
class Claimant extends DistinctRun {
  /** Unsolicited replies it sent naming another MAC as the ARP sender (forged). */
  forged = 0;
  /** The MAC its latest forged reply named, or 0. */
  forgedAs = 0;
}

/** A request seen recently (the key says who asked for whom). */
type Request = KeyedEntry;

/** Fires when a MAC poisons ARP caches with unsolicited replies. */
export class ArpSpoofing implements Detector {
  readonly info = detectorInfo("arp_spoofing");
  readonly #ipsPerMac: number;
  readonly #windowUs: number;
  readonly #timeoutUs: number;
  /** Addresses kept per claimant: enough to show how far above the threshold it went. */
  readonly #distinctCap: number;
  readonly #requests: KeyedState<Request>;
  readonly #bindings: KeyedState<Binding>;
  readonly #claimants: KeyedState<Claimant>;
  readonly #alerts: AlertManager;

  constructor(deps: DetectorDeps) {
    this.#ipsPerMac = deps.settings.arp_spoofing.ips_per_mac;
    this.#windowUs = deps.settings.arp_spoofing.window_s * 1e6;
    this.#timeoutUs = deps.settings.connections.attempt_timeout_s * 1e6;
    this.#distinctCap = Math.max(2 * this.#ipsPerMac, 8);
    const cap = deps.settings.arp_spoofing.max_tracked;
    this.#requests = new KeyedState("arp_spoofing.requests", cap, this.#timeoutUs);
    this.#bindings = new KeyedState("arp_spoofing.bindings", cap, this.#windowUs);
    this.#claimants = new KeyedState("arp_spoofing.macs", cap, this.#windowUs);
    this.#alerts = deps.alerts;
  }

  onArp(p: ArpPacket): void {
    const named = p.senderMac;
    if (named === 0) return; // not a 6-byte hardware address
    const now = p.timestampUs;
    if (p.op === ARP_REQUEST) {
      const key = pairKey(p.sender, p.target);
      if (this.#requests.get(key, now) === undefined) {
        this.#requests.insert(key, { lastSeenUs: now, movedUs: now });
      }
    }
    if (p.probe) return; // claims no address
    const unsolicited = p.op === ARP_REPLY && !p.gratuitous && !this.#asked(p, now);
    // arpwatch's station table: the address's MAC (the one the packet names), and whether this
    // claim takes it over.
    let previous = 0, previousUs = 0;
    const binding = this.#bindings.get(p.sender, now);
    if (binding === undefined) {
      this.#bindings.insert(p.sender, {
        lastSeenUs: now,
        movedUs: now,
        mac: named,
        claimedUs: now,
      });
    } else {
      if (binding.mac !== named) {
        previous = binding.mac;
        previousUs = binding.claimedUs;
        binding.mac = named;
      }
      binding.claimedUs = now;
    }
    if (!unsolicited) return;
    // The claim is the sending station's: a forged reply's link-layer source.
    const mac = p.claimerMac;
    const claimant = this.#claimants.get(mac, now) ??
      this.#claimants.insert(mac, new Claimant(this.#distinctCap, now));
    if (mac !== named) {
      claimant.forged++;
      claimant.forgedAs = named;
    }
    const count = claimant.addInRun(p.sender, now, this.#windowUs);
    // Taking an address from another station; a station moving its own claim elsewhere (as
    // arpspoof's restore does) takes nothing over.
    const takeover = previous !== 0 && previous !== mac && now - previousUs < this.#windowUs;
    if (count <= this.#ipsPerMac && !takeover) return;
    if (this.#alerts.observe(this.info, mac, now, count)) return;
    this.#start(
      p,
      mac,
      claimant,
      count,
      takeover ? { mac: previous, agoUs: now - previousUs } : null,
    );
  }

  /** True when the reply's target asked for its sender within the timeout. */
  #asked(p: ArpPacket, now: number): boolean {
    const request = this.#requests.peek(pairKey(p.target, p.sender));
    return request !== undefined && now - request.lastSeenUs <= this.#timeoutUs;
  }

  #start(
    p: ArpPacket,
    claimer: number,
    claimant: Claimant,
    count: number,
    takenFrom: { mac: number; agoUs: number } | null,
  ): void {
    const now = p.timestampUs;
    const mac = macText(claimer), address = arpAddressText(p.sender);
    const limit = this.#ipsPerMac, cap = this.#distinctCap;
    const windowS = this.#windowUs / 1e6, timeoutS = this.#timeoutUs / 1e6;
    const claimed = claimant.sample(SAMPLE).map(arpAddressText).join(", ");
    const unasked = `no request for it within ${timeoutS} s, not gratuitous`;
    // Forged replies seen so far (the end record shows those that came later, e.g. a restore).
    const forged = () =>
      claimant.forged === 0 ? "" : `; ${claimant.forged} of its replies named another MAC as ` +
        `the ARP sender (the latest: ${macText(claimant.forgedAs)})`;
    const mismatch = claimant.forged === 0 ? "" : ` Replies from this MAC (their Ethernet ` +
      `source) named another MAC as the ARP sender (arpwatch's "ethernet mismatch"): forged ` +
      `replies, counted for the station that sent them.`;
    this.#alerts.start(this.info, {
      key: claimer,
      timestampUs: now,
      srcIp: address,
      ...(p.target === 0 ? {} : { destIp: arpAddressText(p.target) }),
      observed: count,
      threshold: limit,
      windowS,
      direction: p.direction,
      render: takenFrom === null
        ? (observed) =>
          `${mac} claimed ${observed >= cap ? "at least " : ""}${observed} addresses ` +
          `(${claimed}${observed > SAMPLE ? ", ..." : ""}) in unsolicited ARP replies in ` +
          `${seconds(claimant.peakElapsedUs)} s` + forged()
        : (observed) =>
          `${mac} took over ${address} from ${macText(takenFrom.mac)} (which claimed it ` +
          `${seconds(takenFrom.agoUs)} s before) with unsolicited ARP replies` +
          (observed > 1 ? `, claiming ${observed} addresses` : "") + forged(),
      explanation: (takenFrom === null
        ? `One MAC claimed more than ${limit} ${limit === 1 ? "address" : "addresses"} in ` +
          `unsolicited ARP replies (${unasked}) within ${windowS} s: ARP cache poisoning.`
        : `An unsolicited ARP reply (${unasked}) moved an address to a new MAC while the ` +
          `previous MAC had claimed it within ${windowS} s (arpwatch's "changed ethernet ` +
          `address"): ARP cache poisoning or an address conflict.`) + mismatch,
    });
  }

  tick(nowUs: number): void {
    this.#requests.sweep(nowUs);
    this.#bindings.sweep(nowUs);
    this.#claimants.sweep(nowUs);
  }

  trackers(): TrackerStats[] {
    return [this.#requests.stats(), this.#bindings.stats(), this.#claimants.stats()];
  }
}

/** Registry entry. */
export function createArpSpoofing(deps: DetectorDeps): Detector {
  return new ArpSpoofing(deps);
}
