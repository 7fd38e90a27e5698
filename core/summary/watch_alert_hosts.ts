/**
 * @module watch_alert_hosts
 * Hosts worth the detail: when an alert starts, both of its addresses get their top peers and
 * ports counted (core/summary/watched_hosts.ts), so a host opened from the alert, even after a
 * `--read` has finished, shows what it talked to from the alert's start on.
 */
import type { EveRecord } from "../records/eve_records.ts";
import { parseAddress } from "../packet/ip_address.ts";
import type { TableKey } from "../packet/host_key.ts";
import type { WatchedHosts } from "./watched_hosts.ts";

/** Watches the source and destination of `record` when it starts an alert (at `nowUs`). */
export function watchAlertHosts(watched: WatchedHosts, record: EveRecord, nowUs: number): void {
  if (record.event_type !== "alert" || record.detection.state !== "start") return;
  if (watched.capacity === 0) return;
  for (const ip of [record.src_ip, record.dest_ip]) {
    const key = ip === undefined ? null : addressKey(ip);
    if (key !== null) watched.watch(key, nowUs, "alert");
  }
}

/** The summary's table key (core/packet/host_key.ts) of an address's text, or null. */
export function addressKey(ip: string): TableKey | null {
  const parsed = parseAddress(ip);
  if (parsed === null) return null;
  if (parsed.version === 4) return parsed.words[0];
  const units: number[] = [];
  for (const word of parsed.words) units.push(word >>> 16, word & 0xffff);
  return String.fromCharCode(...units);
}
