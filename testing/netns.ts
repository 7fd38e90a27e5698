/**
 * @module netns
 * Real traffic for tests, kept away from the host's network.
 *
 * A TestNetwork is two network namespaces, A and B, joined by a veth pair, and optionally a third
 * namespace C routed behind B. None of them has a default route, so a sender started inside them
 * can only reach addresses of this network: even a mistyped destination fails with "network
 * unreachable" instead of leaving the machine. Every command runs under `timeout`, so nothing
 * outlives a crashed test by more than its own time bound, and `create()` removes what an earlier,
 * killed run of this module left behind.
 */

import {
  BackgroundProcess,
  type CommandResult,
  type ExecOptions,
  findOnPath,
  runCommand,
  runInNamespace,
  spawnInNamespace,
} from "./process.ts";
import {
  addAddresses,
  bringUp,
  deleteNamespace,
  type Host,
  ip,
  linkNamespaces,
  planLayout,
  probeNamespaceCreation,
  removeStaleNetworks,
  type RoutedSubnet,
  sysctl,
  TEMPORARY_PREFIX,
  type TestNetworkOptions,
} from "./netns_setup.ts";

export type { Host, RoutedSubnet, TestNetworkOptions };

export {
  BackgroundProcess,
  type CommandResult,
  type ExecOptions,
  runCommand,
  runInNamespace,
  spawnInNamespace,
};

/** Tools the helpers in testing/ call. */
export const REQUIRED_TOOLS = [
  "ip",
  "ethtool",
  "timeout",
  "tcpdump",
  "ping",
  "curl",
  "python3",
  "nmap",
] as const;

export type ServerKind = "http" | "udp-echo";

export interface RunningServer extends AsyncDisposable {
  readonly kind: ServerKind;
  readonly ns: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface HttpServerOptions {
  /** Serve this directory; by default a temporary one with a small index.html. */
  readonly directory?: string;
}

let networksMadeByThisProcess = 0;

/** Returns null when namespaces can be used here, else why the tests should be skipped. */
export async function canUseNamespaces(
  tools: readonly string[] = REQUIRED_TOOLS,
): Promise<string | null> {
  if (Deno.build.os !== "linux") return `network namespaces need Linux, not ${Deno.build.os}`;
  if (Deno.uid() !== 0) return "network namespaces need root";
  const missing = [];
  for (const tool of tools) if (!(await findOnPath(tool))) missing.push(tool);
  if (missing.length > 0) return `missing tools: ${missing.join(", ")}`;
  return await probeNamespaceCreation();
}

/**
 * Namespaces A and B joined by a veth pair (IPv4 /24 and IPv6 /64), optionally C behind B.
 * Use with `await using net = await TestNetwork.create()`: disposal stops every process started
 * in the namespaces and deletes them, which also deletes their interfaces.
 */
export class TestNetwork implements AsyncDisposable {
  readonly a: Host;
  readonly b: Host;
  readonly routed: RoutedSubnet | null;
  #namespaces: string[] = [];
  #processes = new Set<BackgroundProcess>();
  #temporaryDirectories: string[] = [];
  #disposed = false;

  private constructor(a: Host, b: Host, routed: RoutedSubnet | null) {
    this.a = a;
    this.b = b;
    this.routed = routed;
  }

  static async create(options: TestNetworkOptions = {}): Promise<TestNetwork> {
    await removeStaleNetworks();
    const layout = planLayout(networksMadeByThisProcess++, options);
    const network = new TestNetwork(layout.a, layout.b, layout.routed);
    try {
      await network.#build();
    } catch (error) {
      await network[Symbol.asyncDispose]();
      throw error;
    }
    return network;
  }

  /** Every namespace of this network, A first. */
  get namespaces(): readonly string[] {
    return [this.a.ns, this.b.ns, ...(this.routed ? [this.routed.ns] : [])];
  }

  /** Runs a command inside one of this network's namespaces. */
  async exec(
    ns: string,
    argv: readonly string[],
    options: ExecOptions = {},
  ): Promise<CommandResult> {
    return await runInNamespace(this.#own(ns), argv, options);
  }

  /** Starts a long-running command in one of this network's namespaces; stopped on dispose. */
  spawn(
    ns: string,
    argv: readonly string[],
    options: { timeoutS?: number } = {},
  ): BackgroundProcess {
    const process = spawnInNamespace(this.#own(ns), argv, options);
    this.#processes.add(process);
    process.finished.then(() => this.#processes.delete(process));
    return process;
  }

  /**
   * Starts a server listening on every address of `ns` (IPv4 and IPv6: the namespace holds only
   * this network's addresses) and waits until it accepts traffic.
   */
  async startServer(
    ns: string,
    kind: ServerKind,
    port: number,
    options: HttpServerOptions = {},
  ): Promise<RunningServer> {
    const directory = kind === "http" ? options.directory ?? await this.#makeWebRoot() : "";
    const argv = kind === "http"
      ? ["python3", "-u", "-m", "http.server", String(port), "--bind", "::", "-d", directory]
      : ["python3", "-u", "-c", UDP_ECHO_SERVER, String(port)];
    const process = this.spawn(ns, argv);
    await process.waitForLine(kind === "http" ? /Serving HTTP/ : /^ready$/, 10_000);
    const stop = async () => {
      await process.stop();
    };
    return { kind, ns, port, stop, [Symbol.asyncDispose]: stop };
  }

  /** Makes a temporary directory that is removed with the network. */
  async makeTemporaryDirectory(): Promise<string> {
    const directory = await Deno.makeTempDir({ prefix: `${TEMPORARY_PREFIX}${Deno.pid}-` });
    this.#temporaryDirectories.push(directory);
    return directory;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const failures: unknown[] = [];
    await Promise.all(
      [...this.#processes].map((process) => process.stop().catch((error) => failures.push(error))),
    );
    for (const ns of this.#namespaces.toReversed()) {
      await deleteNamespace(ns).catch((error) => failures.push(error));
    }
    for (const directory of this.#temporaryDirectories) {
      await Deno.remove(directory, { recursive: true }).catch((error) => failures.push(error));
    }
    if (failures.length > 0) throw new AggregateError(failures, "TestNetwork cleanup failed");
  }

  #own(ns: string): string {
    // Refusing foreign namespaces keeps every sender inside a network this code built.
    if (!this.namespaces.includes(ns)) throw new Error(`${ns} is not part of this TestNetwork`);
    if (this.#disposed) throw new Error("this TestNetwork has been disposed");
    return ns;
  }

  async #makeWebRoot(): Promise<string> {
    const directory = await this.makeTemporaryDirectory();
    await Deno.writeTextFile(`${directory}/index.html`, "<html><body>anomaly test</body></html>\n");
    return directory;
  }

  async #build(): Promise<void> {
    for (const ns of this.namespaces) await this.#addNamespace(ns);
    await linkNamespaces(this.a, this.b);
    await addAddresses(this.a, 24);
    await addAddresses(this.b, 24);
    const links: { ns: string; iface: string }[] = [this.a, this.b];
    if (this.routed) {
      await this.#addRoutedSubnet(this.routed);
      links.push({ ns: this.b.ns, iface: this.routed.routerIface }, this.routed);
    }
    await bringUp(links);
    // Routes need their links up: the kernel refuses a gateway it cannot reach yet.
    if (this.routed) await this.#addRoutes(this.routed);
  }

  async #addNamespace(ns: string): Promise<void> {
    await runCommand(["ip", "netns", "add", ns]);
    this.#namespaces.push(ns);
    await ip(ns, "link set lo up");
    // Without duplicate address detection IPv6 addresses, link-local ones included, work at once.
    await sysctl(ns, "net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0");
  }

  async #addRoutedSubnet(routed: RoutedSubnet): Promise<void> {
    const router: Host = {
      ns: this.b.ns,
      iface: routed.routerIface,
      ipv4: routed.routerIpv4,
      ipv6: routed.routerIpv6,
    };
    const [firstAddress, ...moreAddresses] = routed.liveIpv4.slice(1);
    const subnetHost: Host = { ...routed, ipv4: firstAddress };
    await linkNamespaces(router, subnetHost);
    await addAddresses(router, 27);
    await addAddresses(subnetHost, 27);
    for (const address of moreAddresses) {
      await ip(routed.ns, `addr add ${address}/27 dev ${routed.iface}`);
    }
    // nmap -sn waits for ICMP errors; the default rate limit would slow it down.
    await sysctl(
      this.b.ns,
      "net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.icmp_ratelimit=0",
    );
  }

  async #addRoutes(routed: RoutedSubnet): Promise<void> {
    await ip(this.a.ns, `route add ${routed.subnetV4} via ${this.b.ipv4}`);
    await ip(this.a.ns, `-6 route add ${routed.subnetV6} via ${this.b.ipv6}`);
    await ip(routed.ns, `route add ${this.subnetV4} via ${routed.routerIpv4}`);
    await ip(routed.ns, `-6 route add ${this.subnetV6} via ${routed.routerIpv6}`);
  }

  /** The A-B link's IPv4 /24. */
  get subnetV4(): string {
    return this.a.ipv4.replace(/\.\d+$/, ".0/24");
  }

  /** The A-B link's IPv6 /64. */
  get subnetV6(): string {
    return this.a.ipv6.replace(/::1$/, "::/64");
  }
}

const UDP_ECHO_SERVER = `
import socket, sys
server = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
server.bind(("::", int(sys.argv[1])))
print("ready", flush=True)
while True:
    data, peer = server.recvfrom(65535)
    server.sendto(data, peer)
`;
