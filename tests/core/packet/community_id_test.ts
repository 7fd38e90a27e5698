import assert from "node:assert/strict";
import { communityId } from "../../../core/packet/community_id.ts";

// The Community ID spec's published baseline (corelight/community-id-spec, baseline/README.md
// and baseline_deflt.json): [proto, src, dst, sport, dport, seed 0, seed 1].
const VECTORS: [number, string, string, number, number, string, string | null][] = [
  [
    6,
    "1.2.3.4",
    "5.6.7.8",
    1122,
    3344,
    "1:wCb3OG7yAFWelaUydu0D+125CLM=",
    "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=",
  ],
  [
    6,
    "5.6.7.8",
    "1.2.3.4",
    3344,
    1122,
    "1:wCb3OG7yAFWelaUydu0D+125CLM=",
    "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=",
  ],
  [
    17,
    "1.2.3.4",
    "5.6.7.8",
    1122,
    3344,
    "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=",
    "1:OShq+iKDAMVouh/4bMxB9Sz4amw=",
  ],
  [
    17,
    "5.6.7.8",
    "1.2.3.4",
    3344,
    1122,
    "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=",
    "1:OShq+iKDAMVouh/4bMxB9Sz4amw=",
  ],
  [
    132,
    "1.2.3.4",
    "5.6.7.8",
    1122,
    3344,
    "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=",
    "1:uitchpn5MMGAQKBJh7bIr/bAr7s=",
  ],
  [
    46,
    "1.2.3.4",
    "5.6.7.8",
    -1,
    -1,
    "1:ikv3kmf89luf73WPz1jOs49S768=",
    "1:/buhqeOmaRCopOZFy9HnoJd5XW8=",
  ],
  [
    46,
    "5.6.7.8",
    "1.2.3.4",
    -1,
    -1,
    "1:ikv3kmf89luf73WPz1jOs49S768=",
    "1:/buhqeOmaRCopOZFy9HnoJd5XW8=",
  ],
  [
    46,
    "fe80:0001:0203:0405:0607:0809:0A0B:0C0D".toLowerCase(),
    "fe80:1011:1213:1415:1617:1819:1A1B:1C1D".toLowerCase(),
    -1,
    -1,
    "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=",
    "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=",
  ],
  [
    6,
    "2001:470:e5bf:dead:4957:2174:e82c:4887",
    "2607:f8b0:400c:c03::1a",
    63943,
    25,
    "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
    null,
  ],
  [
    6,
    "2607:f8b0:400c:c03::1a",
    "2001:470:e5bf:dead:4957:2174:e82c:4887",
    25,
    63943,
    "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
    null,
  ],
  [6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", null],
  [6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", null],
  [17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", null],
  [17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", null],
  [132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", null],
  [132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", null],
];

Deno.test("communityId() matches the spec's baseline vectors, seed 0 and seed 1", () => {
  for (const [proto, srcIp, destIp, srcPort, destPort, seed0, seed1] of VECTORS) {
    const flow = { proto, srcIp, destIp, srcPort, destPort };
    assert.equal(communityId(flow), seed0, JSON.stringify(flow));
    if (seed1 !== null) assert.equal(communityId(flow, 1), seed1, JSON.stringify(flow));
  }
});

Deno.test("communityId() orders equal addresses by port, so both directions agree", () => {
  const out = { proto: 6, srcIp: "127.0.0.1", destIp: "127.0.0.1", srcPort: 40000, destPort: 80 };
  const back = { ...out, srcPort: 80, destPort: 40000 };
  assert.equal(communityId(out), communityId(back));
  assert.notEqual(communityId(out), communityId({ ...out, srcPort: 40001 }));
});

Deno.test("communityId() is null for a non-address or mixed address families", () => {
  const flow = { proto: 6, srcIp: "10.0.0.1", destIp: "::1", srcPort: 1, destPort: 2 };
  assert.equal(communityId(flow), null);
  assert.equal(communityId({ ...flow, destIp: "not an address" }), null);
});
