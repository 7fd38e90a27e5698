/**
 * @module settings
 * Detection's config as one typed, read-only object (`settings.port_scan.threshold`), built once
 * from the validated Config map by `detectionSettings`; tests/core/detect/settings_test.ts checks
 * that every key of DETECTION_KEYS is in it with its value.
 */
import { type Config, flag, list, type NetworkOverride, num } from "../config/config.ts";

/** The keys every detector has: `detect.<name>.enabled` and `detect.<name>.allow_list`. */
export interface DetectorSwitch {
  readonly enabled: boolean;
  readonly allow_list: readonly string[];
}

/** Detection's config keys, nested as they are written (`detect.` dropped). */
export interface DetectionSettings {
  readonly high_packet_rate: DetectorSwitch & {
    readonly packets_per_second: number;
    readonly hold_s: number;
    readonly max_tracked: number;
  };
  readonly unique_connections: DetectorSwitch & {
    readonly threshold: number;
    readonly window_s: number;
    readonly hold_s: number;
    readonly max_tracked: number;
  };
  readonly unusual_port: DetectorSwitch & {
    readonly tcp_ports: readonly number[];
    readonly udp_ports: readonly number[];
    readonly udp_max_port: number;
    readonly max_new_per_second: number;
    readonly hold_s: number;
    readonly max_sources_per_service: number;
    readonly max_tracked: number;
  };
  readonly port_scan: DetectorSwitch & {
    readonly threshold: number;
    readonly window_s: number;
    readonly protocol_threshold: number;
    readonly max_tracked: number;
  };
  readonly host_sweep: DetectorSwitch & {
    readonly threshold: number;
    readonly scattered_threshold: number;
    readonly window_s: number;
    readonly max_tracked: number;
  };
  readonly arp_spoofing: DetectorSwitch & {
    readonly ips_per_mac: number;
    readonly window_s: number;
    readonly max_tracked: number;
  };
  readonly flood: DetectorSwitch & {
    readonly syn_per_second: number;
    readonly udp_per_second: number;
    readonly icmp_per_second: number;
    readonly max_tracked: number;
  };
  readonly reflection: DetectorSwitch & {
    readonly packets_per_second: number;
    readonly udp_ports: readonly number[];
    readonly max_tracked: number;
  };
  readonly brute_force: DetectorSwitch & {
    readonly threshold: number;
    readonly window_s: number;
    readonly max_session_s: number;
    readonly ports: readonly number[];
    readonly max_tracked: number;
  };
  readonly capture_drops: DetectorSwitch & {
    readonly percent: number;
    readonly min_packets: number;
    readonly window_s: number;
  };
  readonly state_saturation: DetectorSwitch;
  readonly connections: {
    readonly attempt_timeout_s: number;
    readonly idle_s: number;
    readonly max_tracked: number;
    readonly shed_during_floods: boolean;
  };
  readonly network_thresholds: readonly NetworkOverride[];
  readonly alerts: {
    readonly update_interval_s: number;
    readonly quiet_s: number;
    readonly suppress_s: number;
    readonly max_open: number;
    readonly max_open_per_detector: number;
    readonly allow_list: readonly string[];
    readonly evidence_list_max: number;
    readonly evidence_exact_max: number;
  };
}

/** Detection's settings, read once from a validated config (every key checked by its type). */
export function detectionSettings(config: Config): DetectionSettings {
  const n = (name: string, key: string) => num(config, `detect.${name}.${key}`);
  const ports = (name: string, key: string) => list<number>(config, `detect.${name}.${key}`);
  const on = (name: string): DetectorSwitch => ({
    enabled: flag(config, `detect.${name}.enabled`),
    allow_list: list<string>(config, `detect.${name}.allow_list`),
  });
  return deepFreeze({
    high_packet_rate: {
      ...on("high_packet_rate"),
      packets_per_second: n("high_packet_rate", "packets_per_second"),
      hold_s: n("high_packet_rate", "hold_s"),
      max_tracked: n("high_packet_rate", "max_tracked"),
    },
    unique_connections: {
      ...on("unique_connections"),
      threshold: n("unique_connections", "threshold"),
      window_s: n("unique_connections", "window_s"),
      hold_s: n("unique_connections", "hold_s"),
      max_tracked: n("unique_connections", "max_tracked"),
    },
    unusual_port: {
      ...on("unusual_port"),
      tcp_ports: ports("unusual_port", "tcp_ports"),
      udp_ports: ports("unusual_port", "udp_ports"),
      udp_max_port: n("unusual_port", "udp_max_port"),
      max_new_per_second: n("unusual_port", "max_new_per_second"),
      hold_s: n("unusual_port", "hold_s"),
      max_sources_per_service: n("unusual_port", "max_sources_per_service"),
      max_tracked: n("unusual_port", "max_tracked"),
    },
    port_scan: {
      ...on("port_scan"),
      threshold: n("port_scan", "threshold"),
      window_s: n("port_scan", "window_s"),
      protocol_threshold: n("port_scan", "protocol_threshold"),
      max_tracked: n("port_scan", "max_tracked"),
    },
    host_sweep: {
      ...on("host_sweep"),
      threshold: n("host_sweep", "threshold"),
      scattered_threshold: n("host_sweep", "scattered_threshold"),
      window_s: n("host_sweep", "window_s"),
      max_tracked: n("host_sweep", "max_tracked"),
    },
    arp_spoofing: {
      ...on("arp_spoofing"),
      ips_per_mac: n("arp_spoofing", "ips_per_mac"),
      window_s: n("arp_spoofing", "window_s"),
      max_tracked: n("arp_spoofing", "max_tracked"),
    },
    flood: {
      ...on("flood"),
      syn_per_second: n("flood", "syn_per_second"),
      udp_per_second: n("flood", "udp_per_second"),
      icmp_per_second: n("flood", "icmp_per_second"),
      max_tracked: n("flood", "max_tracked"),
    },
    reflection: {
      ...on("reflection"),
      packets_per_second: n("reflection", "packets_per_second"),
      udp_ports: ports("reflection", "udp_ports"),
      max_tracked: n("reflection", "max_tracked"),
    },
    brute_force: {
      ...on("brute_force"),
      threshold: n("brute_force", "threshold"),
      window_s: n("brute_force", "window_s"),
      max_session_s: n("brute_force", "max_session_s"),
      ports: ports("brute_force", "ports"),
      max_tracked: n("brute_force", "max_tracked"),
    },
    capture_drops: {
      ...on("capture_drops"),
      percent: n("capture_drops", "percent"),
      min_packets: n("capture_drops", "min_packets"),
      window_s: n("capture_drops", "window_s"),
    },
    state_saturation: on("state_saturation"),
    connections: {
      attempt_timeout_s: n("connections", "attempt_timeout_s"),
      idle_s: n("connections", "idle_s"),
      max_tracked: n("connections", "max_tracked"),
      shed_during_floods: flag(config, "detect.connections.shed_during_floods"),
    },
    network_thresholds: list(config, "detect.network_thresholds") as unknown as NetworkOverride[],
    alerts: {
      update_interval_s: num(config, "alerts.update_interval_s"),
      quiet_s: num(config, "alerts.quiet_s"),
      suppress_s: num(config, "alerts.suppress_s"),
      max_open: num(config, "alerts.max_open"),
      max_open_per_detector: num(config, "alerts.max_open_per_detector"),
      allow_list: list<string>(config, "alerts.allow_list"),
      evidence_list_max: num(config, "alerts.evidence_list_max"),
      evidence_exact_max: num(config, "alerts.evidence_exact_max"),
    },
  });
}

/** Freezes `value` and the objects in it; the lists stay the Config map's own arrays. */
function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (inner !== null && typeof inner === "object" && !Array.isArray(inner)) deepFreeze(inner);
  }
  return Object.freeze(value);
}
