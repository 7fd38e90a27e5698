import assert from "node:assert/strict";
import {
  listeningAddresses,
  ownTrafficFilter,
  withoutOwnTraffic,
} from "../../../core/run/own_traffic.ts";

const HOST = () => ["192.0.2.7", "fe80::1%eth0", "127.0.0.1"];

/** Whether libpcap (through tcpdump -d) compiles `filter`. */
async function compiles(filter: string): Promise<boolean> {
  const output = await new Deno.Command("tcpdump", {
    args: ["-d", "-y", "EN10MB", filter],
    stdout: "null",
    stderr: "null",
  }).output();
  return output.success;
}

const haveTcpdump = await new Deno.Command("tcpdump", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);

Deno.test("listeningAddresses: a wildcard listener answers on every host address and loopback", () => {
  assert.deepEqual(listeningAddresses("0.0.0.0", HOST), [
    "127.0.0.1",
    "::1",
    "192.0.2.7",
    "fe80::1",
  ]);
  assert.deepEqual(listeningAddresses("::", HOST), ["127.0.0.1", "::1", "192.0.2.7", "fe80::1"]);
  assert.deepEqual(listeningAddresses("localhost", HOST), ["127.0.0.1", "::1"]);
  assert.deepEqual(listeningAddresses("[::1]", HOST), ["::1"]);
  assert.deepEqual(listeningAddresses("10.1.2.3", HOST), ["10.1.2.3"]);
});

Deno.test("withoutOwnTraffic leaves file reads alone and wraps the user's filter", () => {
  const listen = { hostname: "127.0.0.1", port: 8080 };
  const read = { read: "x.pcap", filter: "udp" };
  assert.equal(withoutOwnTraffic(read, listen, HOST), read);
  const live = { device: "lo", filter: "" };
  assert.equal(withoutOwnTraffic(live, undefined, HOST), live);
  const own = ownTrafficFilter(listen, HOST);
  assert.equal(
    own,
    "(tcp and ((src port 8080 and (src host 127.0.0.1)) or (dst port 8080 and (dst host 127.0.0.1))))",
  );
  assert.equal(withoutOwnTraffic(live, listen, HOST).filter, `not ${own}`);
  assert.equal(
    withoutOwnTraffic({ device: "lo", filter: "tcp or udp" }, listen, HOST).filter,
    `(tcp or udp) and not ${own}`,
  );
});

Deno.test({
  name: "the filters libpcap gets compile, IPv4 and IPv6 addresses alike",
  ignore: !haveTcpdump,
  fn: async () => {
    assert.equal(await compiles("tcp and ((("), false, "a bad filter is told apart");
    for (const hostname of ["127.0.0.1", "::", "localhost"]) {
      const request = { device: "eth0", filter: "port 53 or icmp" };
      const filter = withoutOwnTraffic(request, { hostname, port: 3000 }, HOST).filter;
      assert.ok(await compiles(filter), filter);
    }
  },
});
