/**
 * @module detect_keys
 * The documented config keys of detection: every threshold, window, list, cap and allow-list,
 * each with its default and its tradeoff. Anchors (Zeek, Snort, ntopng, FastNetMon) are named
 * where a default follows them; ../shared/ANCHORS.md has the sources.
 */
import type { KeySpec } from "../config/config_spec.ts";
import { DETECTOR_NAMES } from "./catalog.ts";
import { SHARED_KEYS, TRACKED_DOC } from "./shared_keys.ts";

function cap(detector: string, value = 50_000): KeySpec {
  return {
    key: `detect.${detector}.max_tracked`,
    kind: "integer",
    default: value,
    min: 16,
    max: 10_000_000,
    doc: TRACKED_DOC,
  };
}

function windowKey(detector: string, value: number, doc: string): KeySpec {
  return {
    key: `detect.${detector}.window_s`,
    kind: "integer",
    default: value,
    min: 1,
    max: 86_400,
    doc,
  };
}

/** Detectors that look their thresholds up per network (detect.network_thresholds). */
const PER_NETWORK = new Set([
  "high_packet_rate",
  "unique_connections",
  "port_scan",
  "host_sweep",
  "flood",
  "reflection",
  "brute_force",
]);

function threshold(detector: string, value: number, doc: string, key = "threshold"): KeySpec {
  return {
    key: `detect.${detector}.${key}`,
    kind: "integer",
    default: value,
    min: 1,
    max: 100_000_000,
    doc,
    perNetwork: PER_NETWORK.has(detector),
  };
}

function holdKey(detector: string, what: string): KeySpec {
  return {
    key: `detect.${detector}.hold_s`,
    kind: "integer",
    default: 6,
    min: 0,
    max: 3600,
    doc: `Seconds ${what}. The default is detect.connections.attempt_timeout_s + 1, so a scan ` +
      "of filtered ports (failed only once its probes time out) is recognised first; the " +
      "alert keeps the time of the first crossing. 0 alerts at once, and a scan may then also " +
      "raise this alert.",
  };
}

const PER_DETECTOR: KeySpec[] = DETECTOR_NAMES.flatMap((name) => [
  {
    key: `detect.${name}.enabled`,
    kind: "boolean" as const,
    default: true,
    doc: `Turns ${name} on or off.`,
  },
  {
    key: `detect.${name}.allow_list`,
    kind: "cidrs" as const,
    default: [] as string[],
    doc: `Addresses or CIDR blocks whose ${name} alerts (as source or destination) are ` +
      "suppressed and counted, never written. For known scanners, monitors, busy servers.",
  },
]);

/** The detection keys, appended to CONFIG_KEYS. */
export const DETECTION_KEYS: KeySpec[] = [
  ...PER_DETECTOR,
  threshold(
    "high_packet_rate",
    100,
    "Packets one source IP may send in any 1-second window before an alert (the user's rule). " +
      "Low values catch small floods but fire on ordinary bulk transfers; FastNetMon uses 20000.",
    "packets_per_second",
  ),
  holdKey(
    "high_packet_rate",
    "a source over the rate waits before it alerts, and is dropped if the source was flagged " +
      "as a scanner meanwhile (a fast scan is one port_scan or host_sweep alert, not also a " +
      "rate alert)",
  ),
  cap("high_packet_rate"),
  threshold(
    "unique_connections",
    50,
    "Distinct (destination IP, port, protocol) one source may open connections to within the " +
      "window (the user's rule). Lower catches slower fan-out; busy clients (browsers, " +
      "proxies, NAT) reach higher values: allow-list them.",
  ),
  windowKey("unique_connections", 60, "Window of unique_connections, seconds."),
  holdKey(
    "unique_connections",
    "a source over the threshold waits before it alerts, and is dropped if the source was " +
      "flagged as a scanner meanwhile (a scan's fan-out is reported as the scan)",
  ),
  cap("unique_connections"),
  {
    key: "detect.unusual_port.tcp_ports",
    kind: "ports",
    default: [21, 22, 25, 80, 110, 443, 445],
    doc: "TCP service ports counted as common (the user's list). A SYN to any other port " +
      "raises unusual_port once per (source, port). Add your own services here.",
  },
  {
    key: "detect.unusual_port.udp_ports",
    kind: "ports",
    // deno-fmt-ignore
    default: [
      49, 53, 67, 68, 69, 80, 88, 111, 123, 137, 138, 161, 162, 163, 164, 177, 213, 319, 320,
      369, 370, 371, 389, 427, 443, 464, 500, 512, 513, 514, 517, 518, 520, 538, 546, 547, 554,
      623, 636, 646, 655, 750, 751, 752, 779, 853, 1194, 1701, 1812, 1813, 1900, 2123, 2152,
      3478, 3702, 4500, 4789, 5060, 5061, 5349, 5353, 5355, 47808, 51820,
    ],
    doc: "UDP service ports counted as common: every UDP service of the well-known range " +
      "that Debian's /etc/services (netbase) lists (DNS, DHCP, TFTP, Kerberos, portmap, NTP, " +
      "NetBIOS, SNMP, XDMCP, PTP, LDAP, SLP, IKE, syslog, RIP, DHCPv6, RTSP, RMCP, DNS over " +
      "TLS/QUIC...) but the obsolete echo, discard, daytime, chargen and time (reflection " +
      "favourites), plus QUIC on 80 and registered services above it (OpenVPN, L2TP, RADIUS, " +
      "SSDP, GTP, STUN/TURN, WS-Discovery, NAT-T, VXLAN, SIP, mDNS, LLMNR, BACnet, WireGuard: " +
      "they matter only if udp_max_port is raised).",
  },
  {
    key: "detect.unusual_port.udp_max_port",
    kind: "integer",
    default: 1023,
    min: 0,
    max: 65535,
    doc: "Highest UDP destination port judged. Above the well-known range, UDP ports are " +
      "chosen freely by peer-to-peer media (RTP, WebRTC), games, VPNs and apps, and judging " +
      "them one by one made nearly all false alarms on real traffic; UDP probing of many " +
      "ports is still port_scan's. 49151 judges registered ports too (more alerts on VoIP, " +
      "games and P2P); 0 turns unusual_port off for UDP.",
  },
  {
    key: "detect.unusual_port.max_new_per_second",
    kind: "integer",
    default: 10,
    min: 1,
    max: 1_000_000,
    doc: "New (source, unusual port) candidates per second network-wide before they are " +
      "a burst: spoofed SYNs to random ports or decoys become one alert instead of one per " +
      "packet. Higher names more of them one by one (and lets a decoy flood fill the open " +
      "alerts); lower folds sooner on busy networks.",
  },
  {
    key: "detect.unusual_port.hold_s",
    kind: "integer",
    default: 5,
    min: 0,
    max: 3600,
    doc: "Seconds an unusual-port attempt waits before alerting, so a scan recognised in the " +
      "meantime silences it. Above 0 it is at least detect.connections.attempt_timeout_s + 1, " +
      "so scans of filtered ports (failed only once their probes time out) are recognised " +
      "first. 0 alerts at once, and a scan's first probes may alert before port_scan fires.",
  },
  {
    key: "detect.unusual_port.max_sources_per_service",
    kind: "integer",
    default: 5,
    min: 1,
    max: 1_000_000,
    doc: "Sources that may alert one by one for the same (destination, protocol, unusual " +
      "port) within a minute; beyond it they count into one alert about the service (a game " +
      "server, or a flood from spoofed sources). Higher names more clients; lower folds sooner.",
  },
  cap("unusual_port"),
  threshold(
    "port_scan",
    15,
    "Distinct ports of one host a source may probe with failed or unanswered attempts within " +
      "the window (Zeek 15, Snort 15). Lower catches smaller scans and more broken clients.",
  ),
  windowKey(
    "port_scan",
    60,
    "Window of port_scan, seconds. Longer catches slower scans (Zeek used 5 min) and keeps " +
      "more state.",
  ),
  threshold(
    "port_scan",
    10,
    "Distinct IP protocols (other than TCP, UDP, ICMP; or named by ICMP protocol-unreachable " +
      "replies) one source may try on one host within the window (nmap -sO tries 256; Snort's " +
      "sfportscan counts IP protocols like ports). Below the port threshold because one host " +
      "speaks at most a few with one peer (GRE, ESP, AH, IPv6-in-IPv4; one at most in our " +
      "benign captures), while it serves many ports. Lower catches scans of fewer protocols.",
    "protocol_threshold",
  ),
  cap("port_scan"),
  threshold(
    "host_sweep",
    25,
    "Distinct hosts a source may probe on one port (failed or unanswered), or with ICMP echo, " +
      "or ask for with ARP requests left unanswered, within the window (Zeek's address scan: " +
      "25). Ping monitors exceed it: allow-list them. Seen from a switch port (broadcast " +
      "requests only, no replies), a gateway resolving more than this many silent hosts in a " +
      "window looks like an ARP sweep: allow-list it.",
  ),
  threshold(
    "host_sweep",
    100,
    "Distinct hosts a source may probe on one port (failed or unanswered) within the window " +
      "when they lie in more than one /16 network (IPv4). Peer-to-peer clients bootstrapping " +
      "(Gnutella, BitTorrent) try dozens of dead peers all over the Internet; a sweep probes " +
      "one network, and a worm probing random addresses passes this within seconds. Lower " +
      "catches slow Internet-wide probing and fires on P2P clients.",
    "scattered_threshold",
  ),
  windowKey("host_sweep", 60, "Window of host_sweep, seconds."),
  cap("host_sweep"),
  threshold(
    "arp_spoofing",
    1,
    "Distinct IPv4 addresses one MAC may claim in unsolicited ARP replies (neither gratuitous " +
      "nor answering a request seen within detect.connections.attempt_timeout_s) within the " +
      "window. 1: a MAC claiming a second address fires, as a man in the middle claiming both " +
      "ends does (arpspoof -r, ettercap). Answers and announcements never count, so proxy ARP, " +
      "multi-address hosts and VRRP/HSRP are quiet; seeing only one direction of a link makes " +
      "answers look unsolicited. Independently, an unsolicited reply moving an address away " +
      "from a MAC that claimed it within the window fires (arpwatch's \"changed ethernet " +
      'address" and "flip flop", restricted to unrequested replies).',
    "ips_per_mac",
  ),
  windowKey(
    "arp_spoofing",
    300,
    "Window of arp_spoofing, seconds: how long a claimed address counts toward ips_per_mac, " +
      "and how long an address's last claim keeps its MAC in use. Longer catches poisoning " +
      "of addresses whose owner ARPs rarely (caches hold entries for minutes) and remembers " +
      "more; an address reassigned within it is still quiet unless taken by unsolicited replies.",
  ),
  cap("arp_spoofing"),
  threshold(
    "flood",
    1000,
    "TCP SYNs (without ACK) per second toward one destination, from any number of sources. " +
      "ntopng's SYN flood check uses 256/s per host; busy web servers see hundreds per second.",
    "syn_per_second",
  ),
  threshold(
    "flood",
    2000,
    "UDP packets per second toward one destination that are not replies to its own " +
      "requests. Lower catches smaller floods; a busy DNS or game server needs more.",
    "udp_per_second",
  ),
  threshold(
    "flood",
    500,
    "ICMP echo requests per second toward one destination (ntopng's ICMP flood: 250 flows/s).",
    "icmp_per_second",
  ),
  cap("flood", 20_000),
  threshold(
    "reflection",
    100,
    "Unsolicited responses per second from reflector ports, or SYN-ACKs without a SYN, toward " +
      "one destination. Low because a host never asked for any of them; asymmetric routing " +
      "(seeing only one direction) can make real replies look unsolicited.",
    "packets_per_second",
  ),
  {
    key: "detect.reflection.udp_ports",
    kind: "ports",
    default: [17, 19, 53, 111, 123, 137, 161, 389, 500, 1900, 3283, 3702, 4500, 5683, 10001, 11211],
    doc: "UDP source ports of reflection/amplification services: QOTD, chargen, DNS, portmap, " +
      "NTP, NetBIOS, SNMP, CLDAP, ISAKMP, SSDP, ARD, WS-Discovery, NAT-T, CoAP, Ubiquiti, " +
      "memcached.",
  },
  cap("reflection", 20_000),
  threshold(
    "brute_force",
    10,
    "Short sessions (accepted, closed within max_session_s) one source may open to one " +
      "service port of one host within the window. Tools try several passwords per session " +
      "(OpenSSH allows 6, vsftpd 3), so 10 sessions are some 30 to 60 guesses: Zeek's SSH " +
      "guessing limit is 30 failed logins in 30 min, fail2ban bans after 5 in 10 min, ET " +
      "rules alert on 5 SSH connections in 120 s. Lower catches shorter runs, and fires on " +
      "scripts that reconnect for every command (scp per file, CI fetching many repositories, " +
      "check_by_ssh) and on many mail clients behind one NAT: allow-list them.",
  ),
  windowKey(
    "brute_force",
    300,
    "Window of brute_force, seconds: the threshold asks for more than 2 short sessions a " +
      "minute for 5 minutes, or a burst. Longer catches slower guessing (Zeek: 30 min) and " +
      "fires on pollers that reconnect every minute or so.",
  ),
  {
    key: "detect.brute_force.max_session_s",
    kind: "integer",
    default: 30,
    min: 1,
    max: 3600,
    doc: "Seconds from SYN-ACK to the first FIN or RST within which a session counts as short. " +
      "A failed login is over in seconds (OpenSSH allows 6 tries at ~2 s each); longer also " +
      "counts slow servers' failures, and more short working sessions.",
  },
  {
    key: "detect.brute_force.ports",
    kind: "ports",
    default: [21, 22, 23, 110, 143, 465, 587, 993, 995, 3389, 5900],
    doc: "TCP service ports watched: FTP, SSH, Telnet, POP3, IMAP, SMTP submission (465, " +
      "587), IMAPS, POP3S, RDP, VNC, whose clients keep a session open or reconnect rarely. " +
      "Left out by default, where many short sessions are ordinary: HTTP(S) (a connection " +
      "per request, health checks), SMTP 25 (a session per relayed message) and databases " +
      "(1433, 3306, 5432: a connection per web request without pooling). Add them for " +
      "servers whose clients keep sessions open.",
  },
  cap("brute_force"),
  {
    key: "detect.capture_drops.percent",
    kind: "number",
    default: 5,
    min: 0,
    max: 100,
    doc: "Kernel drop percentage over the window that raises capture_drops (ntopng: 5 %). " +
      "Lower warns earlier of an overloaded capture; too low fires on a single lost packet.",
  },
  {
    key: "detect.capture_drops.min_packets",
    kind: "integer",
    default: 100,
    min: 1,
    max: 1_000_000_000,
    doc: "Packets the kernel must have seen in the window before drops are judged.",
  },
  windowKey("capture_drops", 60, "Window of capture_drops, seconds."),
  ...SHARED_KEYS,
];
