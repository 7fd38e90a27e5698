/**
 * @module shared_keys
 * The detection keys that belong to no one detector: the connection tracker's
 * (detect.connections.*), per-network thresholds (detect.network_thresholds) and the alert
 * lifecycle's (alerts.*). They close DETECTION_KEYS (core/detect/detect_keys.ts).
 */
import type { KeySpec } from "../config/config_spec.ts";

/** The doc of every `max_tracked` key. */
export const TRACKED_DOC =
  "Keys tracked at most. More memory (~200 B each) against evictions under " +
  "floods of spoofed sources (counted, and reported by state_saturation).";

/** The keys of the connection tracker, per-network thresholds and alerts, in README order. */
export const SHARED_KEYS: KeySpec[] = [
  {
    key: "detect.connections.attempt_timeout_s",
    kind: "integer",
    default: 5,
    min: 1,
    max: 3600,
    doc: "Seconds after which an unanswered connection attempt counts as failed (Zeek's " +
      "tcp_attempt_delay: 5 s). Longer spares slow links; scans of silent hosts are seen later.",
  },
  {
    key: "detect.connections.idle_s",
    kind: "integer",
    default: 120,
    min: 1,
    max: 86_400,
    doc: "Seconds an exchange may stay silent before it is forgotten (UDP replies after that " +
      "look new; Zeek: UDP 1 min, TCP 5 min).",
  },
  {
    key: "detect.connections.max_tracked",
    kind: "integer",
    default: 100_000,
    min: 16,
    max: 10_000_000,
    doc: "Exchanges tracked at most (Suricata's flow memcap role). " + TRACKED_DOC,
  },
  {
    key: "detect.connections.shed_during_floods",
    kind: "boolean",
    default: true,
    doc: "While a host is under an open SYN or UDP flood alert, a new attempt toward it from a " +
      "source that sent nothing lately is counted (trackers: `shed` of connections), not " +
      "tracked (Suricata's flow emergency mode role): a spoofed flood then evicts no real " +
      "exchanges and costs about 40 % less CPU. A source's first attempt toward the victim " +
      "during the flood is then not seen by the detectors that count attempts; a source that " +
      "sends anything every 0.5 s or so (at 250,000 spoofed sources a second) is tracked as " +
      "usual. false tracks every attempt.",
  },
  {
    key: "detect.network_thresholds",
    kind: "network_overrides",
    default: [],
    doc: "Thresholds per network (FastNetMon's host groups): a list of " +
      '{"networks": ["10.0.5.0/24"], "detect.port_scan.threshold": 200, ...}, first match ' +
      "wins. The network is matched against the host the detector keys on: the source for " +
      "high_packet_rate, unique_connections, port_scan, host_sweep and brute_force, the " +
      "destination for flood and reflection. For busy servers, NAT gateways and monitoring " +
      "hosts, rather than allow-listing them; only keys of type threshold can be set, and a " +
      "wrong key or value is refused at start.",
  },
  {
    key: "alerts.update_interval_s",
    kind: "integer",
    default: 60,
    min: 1,
    max: 86_400,
    doc: "Seconds of packet time between update records of an alert that stays active and " +
      "keeps firing. Shorter shows progress sooner and writes more records.",
  },
  {
    key: "alerts.quiet_s",
    kind: "integer",
    default: 60,
    min: 1,
    max: 86_400,
    doc: "Seconds a key must stay below its threshold before its alert ends. Longer merges " +
      "bursts into one alert; shorter ends alerts sooner and may split one attack in several.",
  },
  {
    key: "alerts.suppress_s",
    kind: "integer",
    default: 3600,
    min: 0,
    max: 604_800,
    doc: "After an alert ends, seconds during which the same detector and key resume it (an " +
      "update record, same alert_id, detection.resumed counted) instead of starting a new " +
      "alert: a heartbeat every 10 min is one alert, not 144 a day (Zeek suppresses a notice " +
      "per identifier for 1 h). Longer means fewer alerts and a renewed attack seen only as " +
      "an update; 0 starts a new alert at once.",
  },
  {
    key: "alerts.max_open",
    kind: "integer",
    default: 10_000,
    min: 1,
    max: 1_000_000,
    doc: "Open alerts at most; starts beyond it are dropped and counted " +
      "(summary.alerts.dropped, and per detector in summary.alerts.by_detector.<name>.dropped) " +
      "and reported by a state_saturation alert and a warning. Half of it is reserved in equal " +
      "parts, one per detector (500 each by default), so a detector with fewer open alerts " +
      "than its part can always start, whatever the others hold; state_saturation's few " +
      "alerts are never dropped (nor counted). Higher holds more alerts in memory; lower " +
      "drops sooner.",
  },
  {
    key: "alerts.max_open_per_detector",
    kind: "integer",
    default: 2_500,
    min: 1,
    max: 1_000_000,
    doc: "Open alerts one detector may hold (at most alerts.max_open): decoys fed to one " +
      "detector (spoofed SYNs to random unusual ports) fill its share only, and the others " +
      "still alert. Higher lets one detector report more keys one by one; lower keeps more " +
      "room for the others.",
  },
  {
    key: "alerts.allow_list",
    kind: "cidrs",
    default: [],
    doc: "Addresses or CIDR blocks whose alerts (as source or destination) of every detector " +
      "are suppressed and counted.",
  },
  {
    key: "alerts.evidence_list_max",
    kind: "integer",
    default: 50,
    min: 1,
    max: 10_000,
    doc: "Items (ports, hosts, sources) listed at most in an alert's detection.evidence, first " +
      "seen first; the *_total fields count them all. Longer lists make longer records.",
  },
  {
    key: "alerts.evidence_exact_max",
    kind: "integer",
    default: 65_536,
    min: 1_000,
    max: 10_000_000,
    doc: "Hosts or sources an alert's evidence counts exactly (a set, about 40 bytes each); " +
      "beyond, the total is estimated (HyperLogLog, ~1.6 %) and hosts_exact or sources_exact " +
      "says false. Ports are always exact (a 16 KiB bitmap once past the list).",
  },
];
