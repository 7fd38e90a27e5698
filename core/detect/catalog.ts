/**
 * @module catalog
 * The detectors' stable identities: name, Suricata-style signature id (local range, one per
 * detector, never reused), revision (bumped when a detector's meaning changes), classification
 * text from Suricata's classification.config, severity (1 high .. 3 low), and the rule's fixed
 * name (`alert.signature`, "ANOMALY Port scan").
 */

/** Every detector, in signature-id order. Names are a contract: pipelines filter on them. */
export const DETECTOR_NAMES = [
  "high_packet_rate",
  "unique_connections",
  "unusual_port",
  "port_scan",
  "host_sweep",
  "flood",
  "reflection",
  "capture_drops",
  "state_saturation",
  "brute_force",
  "arp_spoofing",
] as const;

export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** What an alert of a detector carries in its EVE `alert` object. */
export interface DetectorInfo {
  name: DetectorName;
  signatureId: number;
  /**
   * EVE's `alert.signature`: one fixed text per signature id (a contract, like the id: SIEMs
   * name the rule by it). The alert's own sentence goes to `detection.message`.
   */
  signature: string;
  rev: number;
  category: string;
  severity: 1 | 2 | 3;
  /** One line for the README and the UI. */
  summary: string;
}

const SCAN = "Detection of a Network Scan";
const DOS = "Attempted Denial of Service";
const BAD = "Potentially Bad Traffic";
const MISC = "Misc activity";

const INFO: Record<DetectorName, Omit<DetectorInfo, "name">> = {
  high_packet_rate: {
    signature: "ANOMALY High packet rate from one source",
    signatureId: 1_000_001,
    rev: 1,
    category: BAD,
    severity: 2,
    summary: "one source IP sends more than N packets in a 1-second window",
  },
  unique_connections: {
    signature: "ANOMALY Connections to many destinations from one source",
    signatureId: 1_000_002,
    rev: 1,
    category: BAD,
    severity: 2,
    summary: "one source opens connections to more than N distinct (host, port, protocol)",
  },
  unusual_port: {
    signature: "ANOMALY Connection attempt to an unusual port",
    signatureId: 1_000_003,
    rev: 1,
    category: "A client was using an unusual port",
    severity: 2,
    summary: "a connection attempt to a service port outside the common lists",
  },
  port_scan: {
    signature: "ANOMALY Port scan",
    signatureId: 1_000_004,
    rev: 1,
    category: SCAN,
    severity: 3,
    summary: "one source probes more than N ports (or IP protocols) of one host with failed or " +
      "unanswered attempts",
  },
  host_sweep: {
    signature: "ANOMALY Host sweep",
    signatureId: 1_000_005,
    rev: 1,
    category: SCAN,
    severity: 3,
    summary:
      "one source probes more than N hosts on one port, with ICMP echo, or with unanswered ARP",
  },
  flood: {
    signature: "ANOMALY Flood toward one destination",
    signatureId: 1_000_006,
    rev: 1,
    category: DOS,
    severity: 2,
    summary: "SYN, UDP or ICMP traffic toward one destination beyond a rate, from any sources",
  },
  reflection: {
    signature: "ANOMALY Reflection or amplification toward one host",
    signatureId: 1_000_007,
    rev: 1,
    category: DOS,
    severity: 2,
    summary: "unsolicited responses from reflector ports (amplification) or SYN-ACKs toward a host",
  },
  capture_drops: {
    signature: "ANOMALY Capture dropping packets",
    signatureId: 1_000_008,
    rev: 1,
    category: MISC,
    severity: 2,
    summary: "the kernel dropped more than 5 % of packets over a minute (live captures)",
  },
  state_saturation: {
    signature: "ANOMALY Detection state saturated",
    signatureId: 1_000_009,
    rev: 2, // 2: also alerts when a detector's alerts are dropped at its open-alert cap
    category: MISC,
    severity: 2,
    summary: "trackers hit their cap and are evicting state (one alert for all), or a " +
      "detector's alerts are dropped at its cap (one per detector): detection may miss keys",
  },
  brute_force: {
    signature: "ANOMALY Login brute force",
    signatureId: 1_000_010,
    rev: 1,
    category: "Attempted User Privilege Gain",
    severity: 2,
    summary: "one source opens many short sessions to one login service of one host",
  },
  arp_spoofing: {
    signature: "ANOMALY ARP spoofing",
    signatureId: 1_000_011,
    rev: 1,
    category: "Misc Attack",
    severity: 2,
    summary: "one MAC answers for several IPs, or an IP's MAC changes through unrequested replies",
  },
};

/**
 * The lowest signature id. Ids are literals above (a contract: SIEM rules key on them), one
 * per detector, contiguous from here, never reused; tests pin every name -> id.
 */
export const FIRST_SIGNATURE_ID = 1_000_001;

/** The catalogue entry of a detector. */
export function detectorInfo(name: DetectorName): DetectorInfo {
  return { name, ...INFO[name] };
}
