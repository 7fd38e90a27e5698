/**
 * @module netns_setup
 * The plumbing under TestNetwork (testing/netns.ts): its shape (Host, RoutedSubnet), names and
 * addresses, and the `ip`/`sysctl` steps that make, link and delete namespaces.
 */
import { type CommandResult, pathExists, runCommand, runInNamespace } from "./process.ts";

/** One side of the network: a namespace and its address on the link that the test watches. */
export interface Host {
  readonly ns: string;
  /** The interface toward the other side of the A-B link. */
  readonly iface: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

/** Namespace C: several hosts in a /27 behind router B, for scans over a routed subnet. */
export interface RoutedSubnet {
  readonly ns: string;
  /** C's interface toward B. */
  readonly iface: string;
  /** B's interface toward C. */
  readonly routerIface: string;
  /** B's address inside the /27 (nmap counts it as a host too). */
  readonly routerIpv4: string;
  readonly routerIpv6: string;
  readonly subnetV4: string;
  readonly subnetV6: string;
  /** The addresses that answer in the /27, C's and the router's, in ascending order. */
  readonly liveIpv4: readonly string[];
  /** C's IPv6 address. */
  readonly ipv6: string;
}

export interface TestNetworkOptions {
  /** Add namespace C with `routedHosts` addresses in a /27 behind B. */
  readonly routed?: boolean;
  /** How many addresses C holds in its /27 (default 5, at most 29). */
  readonly routedHosts?: number;
}

const MAX_INTERFACE_NAME = 15;
const NAME_PATTERN = /^an(\d+)-[0-9a-z]+[abc]$/;
export const TEMPORARY_PREFIX = "anomaly-netns-";
const TEMPORARY_PATTERN = new RegExp(`^${TEMPORARY_PREFIX}(\\d+)-`);

export interface Layout {
  a: Host;
  b: Host;
  routed: RoutedSubnet | null;
}

/** Names and addresses; the names carry our pid so that parallel runs never collide. */
export function planLayout(sequence: number, options: TestNetworkOptions): Layout {
  const id = `an${Deno.pid}-${sequence.toString(36)}`;
  const octet = (Deno.pid + sequence) % 256;
  for (const suffix of ["ab", "ba", "bc", "cb"]) {
    if ((id + suffix).length > MAX_INTERFACE_NAME) throw new Error(`name too long: ${id}${suffix}`);
  }
  const a = {
    ns: `${id}a`,
    iface: `${id}ab`,
    ipv4: `10.231.${octet}.1`,
    ipv6: `fd00:231:${octet}::1`,
  };
  const b = {
    ns: `${id}b`,
    iface: `${id}ba`,
    ipv4: `10.231.${octet}.2`,
    ipv6: `fd00:231:${octet}::2`,
  };
  if (!options.routed) return { a, b, routed: null };
  const hosts = options.routedHosts ?? 5;
  if (hosts < 1 || hosts > 29) throw new Error(`routedHosts must be 1..29, not ${hosts}`);
  const subnetBase = `10.232.${octet}`;
  const liveIpv4 = Array.from({ length: hosts + 1 }, (_, index) => `${subnetBase}.${index + 1}`);
  return {
    a,
    b,
    routed: {
      ns: `${id}c`,
      iface: `${id}cb`,
      routerIface: `${id}bc`,
      routerIpv4: liveIpv4[0],
      routerIpv6: `fd00:232:${octet}::1`,
      subnetV4: `${subnetBase}.0/27`,
      subnetV6: `fd00:232:${octet}::/64`,
      liveIpv4,
      ipv6: `fd00:232:${octet}::2`,
    },
  };
}

export async function linkNamespaces(left: Host, right: Host): Promise<void> {
  // Created directly inside the namespaces: the names never exist in the host's namespace.
  await runCommand(
    `ip link add ${left.iface} netns ${left.ns} type veth peer name ${right.iface} netns ${right.ns}`
      .split(" "),
  );
  // veth offloads would leave checksums blank and let TCP hand over 64 KiB "frames"; with them
  // off every captured frame is what a real NIC would have put on the wire.
  for (const host of [left, right]) {
    await runInNamespace(
      host.ns,
      `ethtool -K ${host.iface} tx off tso off gso off gro off`.split(" "),
    );
  }
}

export async function addAddresses(host: Host, prefixV4: number): Promise<void> {
  await ip(host.ns, `addr add ${host.ipv4}/${prefixV4} dev ${host.iface}`);
  await ip(host.ns, `addr add ${host.ipv6}/64 dev ${host.iface} nodad`);
}

/** Runs `ip -n ns WORDS...`; `words` is split at spaces. */
export function ip(ns: string, words: string): Promise<CommandResult> {
  return runCommand(["ip", "-n", ns, ...words.split(" ")]);
}

export function sysctl(ns: string, settings: string): Promise<CommandResult> {
  return runInNamespace(ns, ["sysctl", "-qw", ...settings.split(" ")]);
}

/**
 * Sets links up and waits for their operational state: the kernel reports carrier to IPv6 up to
 * a second later, and neighbour solicitations sent before then go unanswered.
 */
export async function bringUp(links: readonly { ns: string; iface: string }[]): Promise<void> {
  for (const { ns, iface } of links) await runCommand(["ip", "-n", ns, "link", "set", iface, "up"]);
  const deadline = Date.now() + 5000;
  for (const { ns, iface } of links) {
    while (await operationalState(ns, iface) !== "UP") {
      if (Date.now() > deadline) throw new Error(`${iface} in ${ns} did not come up`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function operationalState(ns: string, iface: string): Promise<string | undefined> {
  const { stdout } = await runCommand(["ip", "-n", ns, "-j", "link", "show", "dev", iface]);
  const [link] = JSON.parse(stdout) as { operstate?: string }[];
  return link.operstate;
}

export async function deleteNamespace(ns: string): Promise<void> {
  // Processes keep a deleted namespace alive; those left are ours, started in it by these helpers.
  const { stdout } = await runCommand(["ip", "netns", "pids", ns], { allowFailure: true });
  for (const pid of stdout.split(/\s+/).filter((word) => /^\d+$/.test(word))) {
    try {
      Deno.kill(Number(pid), "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  await runCommand(["ip", "netns", "del", ns]);
}

/**
 * Deletes namespaces and temporary directories left by runs of this module that were killed
 * (their process no longer exists): such a run could not dispose of its network.
 */
export async function removeStaleNetworks(): Promise<void> {
  const { stdout } = await runCommand(["ip", "netns", "list"]);
  for (const line of stdout.split("\n")) {
    const name = line.split(" ")[0];
    if (await isOrphaned(NAME_PATTERN.exec(name)?.[1])) await deleteNamespace(name).catch(() => {});
  }
  const temporary = Deno.env.get("TMPDIR") ?? "/tmp";
  for await (const entry of Deno.readDir(temporary)) {
    if (!entry.isDirectory || !await isOrphaned(TEMPORARY_PATTERN.exec(entry.name)?.[1])) continue;
    await Deno.remove(`${temporary}/${entry.name}`, { recursive: true }).catch(() => {});
  }
}

async function isOrphaned(ownerPid: string | undefined): Promise<boolean> {
  if (ownerPid === undefined || Number(ownerPid) === Deno.pid) return false;
  return !await pathExists(`/proc/${ownerPid}`);
}

export async function probeNamespaceCreation(): Promise<string | null> {
  const probe = `an${Deno.pid}-probe`;
  const created = await runCommand(["ip", "netns", "add", probe], { allowFailure: true });
  if (created.code !== 0) return `cannot create a network namespace: ${created.stderr.trim()}`;
  await runCommand(["ip", "netns", "del", probe]);
  return null;
}
