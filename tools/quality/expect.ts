/**
 * @module expect
 * Expectations in the format of ../shared/corpus/attack/expect.json: per capture file name,
 * what it is, the attacker and victim, and the alerts an admin should get. An expected alert is
 * met when some alert start has its detector and the same src_ip and dest_ip where given.
 */
import { CidrSet, parseAddress, parseCidr } from "../../core/packet/ip_address.ts";
import type { AlertStartInfo } from "./alert_key.ts";

/** One expected alert. */
export interface ExpectedAlert {
  detector: string;
  src_ip?: string;
  dest_ip?: string;
}

/** One capture's entry (one incident). */
export interface ExpectEntry {
  what?: string;
  attacker?: string;
  victim?: string;
  note?: string;
  expect: ExpectedAlert[];
}

/** How one capture fared against its entry. */
export interface ExpectOutcome {
  met: number;
  total: number;
  unmet: ExpectedAlert[];
  /** Alert starts naming an address that is neither the attacker nor a victim. */
  wrongNames: AlertStartInfo[];
  /** False when attacker and victim are not addresses (a MAC, "spoofed"): no names checked. */
  namesChecked: boolean;
}

/** Reads and checks an expect.json; throws a one-line Error naming the problem. */
export function loadExpect(path: string): Map<string, ExpectEntry> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Deno.readTextFileSync(path));
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new Error(`Cannot read expectations "${path}": ${why}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`Expectations "${path}" must be a JSON object of file name -> entry`);
  }
  const out = new Map<string, ExpectEntry>();
  for (const [file, value] of Object.entries(parsed as Record<string, unknown>)) {
    const entry = value as ExpectEntry | null;
    const ok = entry !== null && typeof entry === "object" && Array.isArray(entry.expect) &&
      entry.expect.every((e) => typeof e?.detector === "string");
    if (!ok) {
      throw new Error(
        `Expectations "${path}": entry "${file}" needs "expect": [{"detector": ...}, ...]`,
      );
    }
    out.set(file, entry);
  }
  return out;
}

/** Checks `starts` (one capture's alert starts) against its entry. */
export function checkExpectations(entry: ExpectEntry, starts: AlertStartInfo[]): ExpectOutcome {
  const unmet = entry.expect.filter((e) =>
    !starts.some((a) =>
      a.detector === e.detector &&
      (e.src_ip === undefined || a.srcIp === e.src_ip) &&
      (e.dest_ip === undefined || a.destIp === e.dest_ip)
    )
  );
  const names = namedHosts(entry);
  const wrongNames = names === null ? [] : starts.filter((a) => {
    const ips = [a.srcIp, a.destIp].filter((ip) => ip !== undefined);
    return ips.length > 0 && !ips.some((ip) => names(ip));
  });
  return {
    met: entry.expect.length - unmet.length,
    total: entry.expect.length,
    unmet,
    wrongNames,
    namesChecked: names !== null,
  };
}

/**
 * A test for "this address is the attacker or a victim", from the addresses and CIDR blocks in
 * the entry's attacker and victim (a list "a, b" allowed); null when neither names any.
 */
function namedHosts(entry: ExpectEntry): ((ip: string) => boolean) | null {
  const texts = [entry.attacker ?? "", ...(entry.victim ?? "").split(",")].map((t) => t.trim());
  const blocks = texts.map(parseCidr).filter((b) => b !== null);
  if (blocks.length === 0) return null;
  const set = new CidrSet(blocks);
  return (ip) => {
    const address = parseAddress(ip);
    return address !== null && set.has(address);
  };
}
