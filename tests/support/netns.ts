/**
 * Real traffic for tests, kept away from the host's network.
 *
 * A TestNetwork is two network namespaces, A and B, joined by a veth pair, and optionally a third
 * namespace C routed behind B. None of them has a default route, so a sender started inside them
 * can only reach addresses of this network: even a mistyped destination fails with "network
 * unreachable" instead of leaving the machine. Every command runs under `timeout`, so nothing
 * outlives a crashed test by more than its own time bound, and `create()` removes what an earlier,
 * killed run of this module left behind.
 */

/** Tools the helpers in tests/support call. */
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

export interface ExecOptions {
  /** Upper bound on the command's run time; it is sent SIGTERM, then SIGKILL 3 s later. */
  readonly timeoutS?: number;
  /** Return a failing result instead of throwing. */
  readonly allowFailure?: boolean;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

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

const DEFAULT_EXEC_TIMEOUT_S = 30;
const DEFAULT_BACKGROUND_TIMEOUT_S = 600;
const KILL_AFTER_S = 3;
const MAX_INTERFACE_NAME = 15;
const NAME_PATTERN = /^an(\d+)-[0-9a-z]+[abc]$/;
const TEMPORARY_PREFIX = "anomaly-netns-";
const TEMPORARY_PATTERN = new RegExp(`^${TEMPORARY_PREFIX}(\\d+)-`);

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

/** Runs a command without a namespace (configuration with `ip`, reading captures). */
export async function runCommand(
  argv: readonly string[],
  options: ExecOptions = {},
): Promise<CommandResult> {
  const timeoutS = options.timeoutS ?? DEFAULT_EXEC_TIMEOUT_S;
  const bounded = ["timeout", `--kill-after=${KILL_AFTER_S}`, String(timeoutS), ...argv];
  const output = await new Deno.Command(bounded[0], {
    args: bounded.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: environmentWithoutProxies(),
  }).output();
  const result = {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
  if (result.code !== 0 && !options.allowFailure) {
    throw new Error(`${argv.join(" ")} exited with ${describeExit(result.code)}: ${result.stderr}`);
  }
  return result;
}

/** Runs a command inside a namespace, bounded in time. */
export function runInNamespace(
  ns: string,
  argv: readonly string[],
  options: ExecOptions = {},
): Promise<CommandResult> {
  return runCommand(["ip", "netns", "exec", ns, ...argv], options);
}

/**
 * Starts a long-running command inside a namespace. It is still bounded by `timeoutS` (default
 * 600 s) so that a crashed test cannot leave it running for ever.
 */
export function spawnInNamespace(
  ns: string,
  argv: readonly string[],
  options: { timeoutS?: number } = {},
): BackgroundProcess {
  const timeoutS = options.timeoutS ?? DEFAULT_BACKGROUND_TIMEOUT_S;
  // `ip netns exec` execs into `timeout`, which forwards our signals to the command.
  return BackgroundProcess.start(
    [
      "ip",
      "netns",
      "exec",
      ns,
      "timeout",
      `--kill-after=${KILL_AFTER_S}`,
      String(timeoutS),
      ...argv,
    ],
    `${argv.join(" ")} (in ${ns})`,
  );
}

/** A child process whose output is drained line by line so it never blocks on a full pipe. */
export class BackgroundProcess implements AsyncDisposable {
  static readonly #KEPT_LINES = 200;

  readonly description: string;
  #child: Deno.ChildProcess;
  #recentLines: string[] = [];
  #lineListeners = new Set<(line: string) => void>();
  #exitListeners = new Set<() => void>();
  #hasExited = false;
  #finished: Promise<Deno.CommandStatus>;

  private constructor(child: Deno.ChildProcess, description: string) {
    this.#child = child;
    this.description = description;
    const drained = Promise.all([this.#drain(child.stdout), this.#drain(child.stderr)]);
    this.#finished = Promise.all([child.status, drained]).then(([status]) => {
      this.#hasExited = true;
      for (const listener of this.#exitListeners) listener();
      return status;
    });
  }

  static start(argv: readonly string[], description: string): BackgroundProcess {
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: environmentWithoutProxies(),
    }).spawn();
    return new BackgroundProcess(child, description);
  }

  get pid(): number {
    return this.#child.pid;
  }

  get hasExited(): boolean {
    return this.#hasExited;
  }

  /** The last lines of stdout and stderr, interleaved as they arrived. */
  get recentOutput(): string {
    return this.#recentLines.join("\n");
  }

  /** Resolves once the process has exited and its output has been read to the end. */
  get finished(): Promise<Deno.CommandStatus> {
    return this.#finished;
  }

  /** Waits for an output line matching `pattern`; fails if the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.#recentLines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        this.#lineListeners.delete(onLine);
        this.#exitListeners.delete(onExit);
        outcome();
      };
      const onLine = (line: string) => {
        if (pattern.test(line)) finish(() => resolve(line));
      };
      const onExit = () => finish(() => reject(this.#failure(`exited before printing ${pattern}`)));
      const timer = setTimeout(
        () => finish(() => reject(this.#failure(`printed no ${pattern} in ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.#lineListeners.add(onLine);
      this.#exitListeners.add(onExit);
      if (this.#hasExited) onExit();
    });
  }

  /** Sends `signal`, then SIGKILL if the process is still running after `graceMs`. */
  async stop(signal: Deno.Signal = "SIGTERM", graceMs = 5000): Promise<Deno.CommandStatus> {
    if (this.#hasExited) return await this.#finished;
    this.#signal(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), graceMs);
    });
    const outcome = await Promise.race([this.#finished, gaveUp]);
    clearTimeout(timer);
    if (outcome === "timeout") this.#signal("SIGKILL");
    return await this.#finished;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // It exited between our check and the signal: nothing to stop.
    }
  }

  #failure(what: string): Error {
    return new Error(`${this.description} ${what}; last output:\n${this.recentOutput}`);
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) this.#keepLine(line);
    }
    if (partial !== "") this.#keepLine(partial);
  }

  #keepLine(line: string): void {
    this.#recentLines.push(line);
    if (this.#recentLines.length > BackgroundProcess.#KEPT_LINES) this.#recentLines.shift();
    for (const listener of this.#lineListeners) listener(line);
  }
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

interface Layout {
  a: Host;
  b: Host;
  routed: RoutedSubnet | null;
}

/** Names and addresses; the names carry our pid so that parallel runs never collide. */
function planLayout(sequence: number, options: TestNetworkOptions): Layout {
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

async function linkNamespaces(left: Host, right: Host): Promise<void> {
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

async function addAddresses(host: Host, prefixV4: number): Promise<void> {
  await ip(host.ns, `addr add ${host.ipv4}/${prefixV4} dev ${host.iface}`);
  await ip(host.ns, `addr add ${host.ipv6}/64 dev ${host.iface} nodad`);
}

/** Runs `ip -n ns WORDS...`; `words` is split at spaces. */
function ip(ns: string, words: string): Promise<CommandResult> {
  return runCommand(["ip", "-n", ns, ...words.split(" ")]);
}

function sysctl(ns: string, settings: string): Promise<CommandResult> {
  return runInNamespace(ns, ["sysctl", "-qw", ...settings.split(" ")]);
}

/**
 * Sets links up and waits for their operational state: the kernel reports carrier to IPv6 up to
 * a second later, and neighbour solicitations sent before then go unanswered.
 */
async function bringUp(links: readonly { ns: string; iface: string }[]): Promise<void> {
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

async function deleteNamespace(ns: string): Promise<void> {
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
async function removeStaleNetworks(): Promise<void> {
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

async function probeNamespaceCreation(): Promise<string | null> {
  const probe = `an${Deno.pid}-probe`;
  const created = await runCommand(["ip", "netns", "add", probe], { allowFailure: true });
  if (created.code !== 0) return `cannot create a network namespace: ${created.stderr.trim()}`;
  await runCommand(["ip", "netns", "del", probe]);
  return null;
}

async function findOnPath(tool: string): Promise<string | null> {
  for (const directory of (Deno.env.get("PATH") ?? "").split(":")) {
    if (directory !== "" && await pathExists(`${directory}/${tool}`)) return `${directory}/${tool}`;
  }
  return null;
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Our environment minus proxy settings: a proxy would send test requests elsewhere. */
function environmentWithoutProxies(): Record<string, string> {
  const environment = Deno.env.toObject();
  for (const name of Object.keys(environment)) {
    if (/_proxy$/i.test(name)) delete environment[name];
  }
  return environment;
}

function describeExit(code: number): string {
  return code === 124 ? "124 (timed out)" : String(code);
}
