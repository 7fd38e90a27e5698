/**
 * Everyday UDP between network namespaces, sent by python3 sockets, recorded with tcpdump in A and
 * read back with `main.ts --read` at default settings, raises no alert record at all:
 * - syslog: 20 datagrams from A to B:514, received and never answered (as syslog is);
 * - SIP-like OPTIONS to B:5060, STUN-like binding requests to B:3478, NTP-like requests to B:123
 *   and A2S-like queries to a game-server-like service on B:27015, each answered by B;
 * - RTP-like media: 50 datagrams from A:16384 to B:16386, each answered from B:16386;
 * - directed broadcasts from A to the A-B link's broadcast address (its /24's .255) on the
 *   NetBIOS name and datagram ports (137, 138), Dropbox LAN sync (17500) and Spotify (57621),
 *   each sent from the same port, as those services do;
 * - a few DNS lookups to a tiny responder in B.
 * A sends at most ~50 datagrams a second (RTP's pace), far below every rate threshold.
 */
import assert from "node:assert/strict";
import { canUseNamespaces, REQUIRED_TOOLS, TestNetwork } from "../support/netns.ts";
import { countWithFilter } from "../support/tcpdump.ts";
import { analyseFile, describeAlerts, dnsLookups, recordWhile, startDnsServer } from "./support.ts";

const unavailable = await canUseNamespaces(REQUIRED_TOOLS);
if (unavailable !== null) console.log(`skip: detection tests with benign UDP (${unavailable})`);

const SYSLOG = { port: 514, count: 20 };
const SIP = { port: 5060, count: 3 };
const STUN = { port: 3478, count: 3 };
const NTP = { port: 123, count: 3 };
const GAME = { port: 27015, count: 5 };
const RTP = { localPort: 16384, remotePort: 16386, count: 50 };
const BROADCAST_PORTS = [137, 138, 17500, 57621];
const BROADCASTS_PER_PORT = 3;
const DNS_LOOKUPS = 5;

/** Datagrams from A, and answers from B, that the capture must hold. */
const ANSWERED = SIP.count + STUN.count + NTP.count + GAME.count + RTP.count + DNS_LOOKUPS;
const SENT_BY_A = SYSLOG.count + ANSWERED + BROADCAST_PORTS.length * BROADCASTS_PER_PORT;

/**
 * Python: B's services, one socket per port. argv[1]: ports that only receive (syslog);
 * argv[2]: ports that answer every datagram like their protocol would.
 */
const UDP_SERVICES = `
import select, socket, struct, sys
quiet = [int(p) for p in sys.argv[1].split(",")]
answering = [int(p) for p in sys.argv[2].split(",")]

def answer(port, data):
    if port == 5060:
        lines = data.decode(errors="replace").split("\\r\\n")
        keep = [l for l in lines if l.split(":")[0] in ("Via", "From", "Call-ID", "CSeq")]
        return ("SIP/2.0 200 OK\\r\\n" + "\\r\\n".join(keep) + "\\r\\nTo: <sip:b@test>;tag=b1\\r\\n"
                "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\\r\\nContent-Length: 0\\r\\n\\r\\n").encode()
    if port == 3478 and len(data) >= 20:
        # Binding success response with the request's cookie and transaction id.
        return struct.pack(">HH", 0x0101, 0) + data[4:20]
    if port == 123 and len(data) >= 48:
        # Mode 4 (server), stratum 2; the client's transmit time as origin time.
        return bytes([0x24, 2, data[2], 0xEC]) + bytes(20) + data[40:48] + data[40:48] * 2
    if port == 27015:
        return b"\\xff\\xff\\xff\\xffI\\x11anomaly test server\\x00"
    return data

sockets = {}
for port in quiet + answering:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    sockets[s] = port
print("ready", flush=True)
while True:
    ready, _, _ = select.select(list(sockets), [], [])
    for s in ready:
        data, peer = s.recvfrom(4096)
        port = sockets[s]
        if port in answering:
            s.sendto(answer(port, data), peer)
`;

/**
 * Python: A's side of every exchange, at most one datagram per 20 ms; prints how many of each
 * were answered, as JSON. argv: B's address, the link's broadcast address, then a JSON plan.
 */
const UDP_CLIENT = `
import json, os, socket, struct, sys, time
server, broadcast, plan = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
GAP = 0.02
answered = {}

def udp(port=0, broadcast_ok=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if broadcast_ok:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.bind(("0.0.0.0", port))
    s.settimeout(1.0)
    return s

def exchange(name, s, port, payload, count):
    got = 0
    for i in range(count):
        s.sendto(payload(i), (server, port))
        try:
            s.recvfrom(4096)
            got += 1
        except socket.timeout:
            pass
        time.sleep(GAP)
    answered[name] = got

# syslog (RFC 5424 over UDP): never answered.
with udp() as s:
    for i in range(plan["syslog"]["count"]):
        message = "<134>1 2024-01-01T00:00:00Z a app %d - - test message %d" % (os.getpid(), i)
        s.sendto(message.encode(), (server, plan["syslog"]["port"]))
        time.sleep(GAP)

# SIP OPTIONS keepalives from one ephemeral port, as a user agent sends them.
with udp() as s:
    local = s.getsockname()[1]
    def options(i):
        return ("OPTIONS sip:b@%s SIP/2.0\\r\\nVia: SIP/2.0/UDP a:%d;branch=z9hG4bK%d\\r\\n"
                "Max-Forwards: 70\\r\\nFrom: <sip:a@test>;tag=a1\\r\\nTo: <sip:b@test>\\r\\n"
                "Call-ID: %d@a\\r\\nCSeq: %d OPTIONS\\r\\nContent-Length: 0\\r\\n\\r\\n"
                % (server, local, i, os.getpid(), i + 1)).encode()
    exchange("sip", s, plan["sip"]["port"], options, plan["sip"]["count"])

# STUN binding requests (RFC 5389 header: type, length, magic cookie, transaction id).
with udp() as s:
    def binding(i):
        return struct.pack(">HHI", 0x0001, 0, 0x2112A442) + os.urandom(12)
    exchange("stun", s, plan["stun"]["port"], binding, plan["stun"]["count"])

# NTP client requests (mode 3), one socket (source port) each as ntpdate does.
def ntp_request(i):
    return bytes([0x23]) + bytes(39) + struct.pack(">Q", int(time.time()) << 32)
got = 0
for i in range(plan["ntp"]["count"]):
    with udp() as s:
        exchange("ntp", s, plan["ntp"]["port"], ntp_request, 1)
        got += answered["ntp"]
answered["ntp"] = got

# A2S_INFO-like queries to a game server on a registered port.
with udp() as s:
    exchange("game", s, plan["game"]["port"],
             lambda i: b"\\xff\\xff\\xff\\xffTSource Engine Query\\x00", plan["game"]["count"])

# RTP-like media between two high ports: version 2, payload type 0, 160 bytes of audio.
with udp(plan["rtp"]["localPort"]) as s:
    def rtp(i):
        return struct.pack(">BBHII", 0x80, 0, i, i * 160, 0x1234ABCD) + bytes(160)
    exchange("rtp", s, plan["rtp"]["remotePort"], rtp, plan["rtp"]["count"])

# Directed broadcasts, each from the service's own port; nobody answers a broadcast here.
for port in plan["broadcastPorts"]:
    with udp(port, broadcast_ok=True) as s:
        for i in range(plan["broadcastsPerPort"]):
            s.sendto(b"announce %d %d" % (port, i), (broadcast, port))
            time.sleep(GAP)

print(json.dumps(answered), flush=True)
`;

Deno.test({
  name: "a benign run with UDP services (syslog, SIP, STUN, RTP, broadcasts) raises nothing",
  ignore: unavailable !== null,
  fn: async () => {
    await using net = await TestNetwork.create();
    const directory = await net.makeTemporaryDirectory();
    const b = net.b.ipv4;
    // The A-B link is a /24: its directed broadcast ends in .255, as the kernel must route it.
    assert.match(net.subnetV4, /\.0\/24$/, "the A-B link is a /24");
    const broadcast = net.subnetV4.replace(/\.0\/24$/, ".255");
    const route = await net.exec(net.a.ns, ["ip", "route", "get", broadcast]);
    assert.match(route.stdout, /^broadcast /, `A routes ${broadcast} as a broadcast`);

    const plan = {
      syslog: SYSLOG,
      sip: SIP,
      stun: STUN,
      ntp: NTP,
      game: GAME,
      rtp: RTP,
      broadcastPorts: BROADCAST_PORTS,
      broadcastsPerPort: BROADCASTS_PER_PORT,
    };
    const quiet = [SYSLOG.port];
    const answering = [SIP.port, STUN.port, NTP.port, GAME.port, RTP.remotePort];
    const pcap = `${directory}/udp-benign.pcap`;
    await using _services = await startServices(net, quiet, answering);
    const dns = await startDnsServer(net, net.b.ns);
    let answered: Record<string, number>;
    try {
      ({ result: answered } = await recordWhile(net.a, pcap, async () => {
        await dnsLookups(net, net.a.ns, b, DNS_LOOKUPS);
        const argv = ["python3", "-c", UDP_CLIENT, b, broadcast, JSON.stringify(plan)];
        const { stdout } = await net.exec(net.a.ns, argv, { timeoutS: 30 });
        return JSON.parse(stdout) as Record<string, number>;
      }));
    } finally {
      await dns.stop();
    }
    assert.deepEqual(
      answered,
      { sip: SIP.count, stun: STUN.count, ntp: NTP.count, game: GAME.count, rtp: RTP.count },
      "B answered every request",
    );
    assert.equal(await countWithFilter(pcap, `udp and dst port ${SYSLOG.port}`), SYSLOG.count);
    const broadcasts = BROADCAST_PORTS.length * BROADCASTS_PER_PORT;
    assert.equal(
      await countWithFilter(pcap, `ether broadcast and udp and dst host ${broadcast}`),
      broadcasts,
      "the directed broadcasts went out as link-layer broadcasts",
    );
    assert.equal(await countWithFilter(pcap, "icmp"), 0, "no datagram was refused");

    const run = await analyseFile(pcap, `${directory}/log-udp-benign`);
    assert.equal(run.alerts.length, 0, `alert records of benign UDP:\n${describeAlerts(run)}`);
    const udp = run.final.stats.decoder.udp;
    assert.ok(
      udp >= SENT_BY_A + ANSWERED,
      `the final stats record counts ${udp} UDP packets, expected ${SENT_BY_A + ANSWERED}`,
    );
  },
});

/** Starts B's UDP services; disposing of the result stops them. */
async function startServices(
  net: TestNetwork,
  quiet: number[],
  answering: number[],
): Promise<AsyncDisposable> {
  const argv = ["python3", "-u", "-c", UDP_SERVICES, quiet.join(","), answering.join(",")];
  const server = net.spawn(net.b.ns, argv, { timeoutS: 60 });
  await server.waitForLine(/^ready$/, 10_000);
  return server;
}
