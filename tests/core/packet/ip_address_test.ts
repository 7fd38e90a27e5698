import assert from "node:assert/strict";
import { CidrSet, parseAddress, parseCidr } from "../../../core/packet/ip_address.ts";
import { formatIpv6 } from "../../../core/packet/packet_batch.ts";

Deno.test("parseAddress() reads IPv4 and IPv6 into record words", () => {
  assert.deepEqual(parseAddress("10.0.0.1")?.words, [0x0a000001, 0, 0, 0]);
  assert.equal(parseAddress("255.255.255.255")!.words[0] >>> 0, 0xffffffff);
  const v6 = parseAddress("fd00::1:2")!;
  assert.equal(v6.version, 6);
  assert.equal(formatIpv6(Int32Array.from(v6.words), 0), "fd00::1:2");
  assert.equal(
    formatIpv6(Int32Array.from(parseAddress("::ffff:10.0.0.1")!.words), 0),
    "::ffff:a00:1",
  );
});

Deno.test("parseAddress() refuses what is not an address", () => {
  for (
    const bad of ["10.0.0", "10.0.0.256", "1.2.3.4.5", "fd00:::1", "1:2:3:4:5:6:7:8:9", "x::1", ""]
  ) {
    assert.equal(parseAddress(bad), null, bad);
  }
});

Deno.test("parseCidr() masks the network and refuses bad prefixes", () => {
  assert.equal(parseCidr("10.1.2.3/8")!.words[0], 0x0a000000);
  assert.equal(parseCidr("10.0.0.0/33"), null);
  assert.equal(parseCidr("fd00::/129"), null);
  assert.equal(parseCidr("10.0.0.0/x"), null);
  assert.equal(parseCidr("10.0.0.1")!.masks[0], -1);
});

Deno.test("CidrSet matches IPv4 and IPv6 at block edges", () => {
  const set = new CidrSet(["192.168.0.0/16", "fe80::/10", "10.0.0.7"].map((t) => parseCidr(t)!));
  assert.equal(set.has(parseAddress("192.168.255.255")!), true);
  assert.equal(set.has(parseAddress("192.169.0.0")!), false);
  assert.equal(set.has(parseAddress("10.0.0.7")!), true);
  assert.equal(set.has(parseAddress("10.0.0.8")!), false);
  assert.equal(set.has(parseAddress("febf::1")!), true);
  assert.equal(set.has(parseAddress("fec0::1")!), false);
});
