/**
 * @module catalog
 * The detectors' stable identities: name, Suricata-style signature id (local range, one per
 * detector, never reused), revision (bumped when a detector's meaning changes), classification
 * text from Suricata's classification.config, and severity (1 high .. 3 low).
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
] as const;

export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** What an alert of a detector carries in its EVE `alert` object. */
export interface DetectorInfo {
  name: DetectorName;
  signatureId: number;
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

const INFO: Record<DetectorName, Omit<DetectorInfo, "name" | "signatureId">> = {
  high_packet_rate: {
    rev: 1,
    category: BAD,
    severity: 2,
    summary: "one source IP sends more than N packets in a 1-second window",
  },
  unique_connections: {
    rev: 1,
    category: BAD,
    severity: 2,
    summary: "one source opens connections to more than N distinct (host, port, protocol)",
  },
  unusual_port: {
    rev: 1,
    category: "A client was using an unusual port",
    severity: 2,
    summary: "a connection attempt to a service port outside the common lists",
  },
  port_scan: {
    rev: 1,
    category: SCAN,
    severity: 3,
    summary: "one source probes more than N ports of one host with failed or unanswered attempts",
  },
  host_sweep: {
    rev: 1,
    category: SCAN,
    severity: 3,
    summary: "one source probes more than N hosts on one port, or with ICMP echo",
  },
  flood: {
    rev: 1,
    category: DOS,
    severity: 2,
    summary: "SYN, UDP or ICMP traffic toward one destination beyond a rate, from any sources",
  },
  reflection: {
    rev: 1,
    category: DOS,
    severity: 2,
    summary: "unsolicited responses from reflector ports (amplification) or SYN-ACKs toward a host",
  },
  capture_drops: {
    rev: 1,
    category: MISC,
    severity: 2,
    summary: "the kernel dropped more than 5 % of packets over a minute (live captures)",
  },
  state_saturation: {
    rev: 1,
    category: MISC,
    severity: 2,
    summary: "a tracker hit its cap and is evicting state: detection may miss keys",
  },
};

/** Signature ids start here, in the order of DETECTOR_NAMES. */
export const FIRST_SIGNATURE_ID = 1_000_001;

/** The catalogue entry of a detector. */
export function detectorInfo(name: DetectorName): DetectorInfo {
  return { name, signatureId: FIRST_SIGNATURE_ID + DETECTOR_NAMES.indexOf(name), ...INFO[name] };
}
