import assert from "node:assert/strict";
import {
  DEFAULT_HOME_NETWORKS,
  DIRECTION_INCOMING,
  DIRECTION_OTHER,
  DIRECTION_OUTGOING,
  DirectionClassifier,
} from "../../../core/packet/direction.ts";
import { parseAddress } from "../../../core/packet/ip_address.ts";
import {
  F_ADDRESSES,
  F_IPV4,
  F_IPV6,
  RECORD_WORDS,
  W_DST_ADDR,
  W_SRC_ADDR,
} from "../../../core/packet/packet_batch.ts";

function recordOf(src: string, dst: string): { fields: Int32Array; flags: number } {
  const fields = new Int32Array(RECORD_WORDS);
  const s = parseAddress(src)!, d = parseAddress(dst)!;
  fields.set(s.words, W_SRC_ADDR);
  fields.set(d.words, W_DST_ADDR);
  return { fields, flags: F_ADDRESSES | (s.version === 4 ? F_IPV4 : F_IPV6) };
}

function directionOf(c: DirectionClassifier, src: string, dst: string): number {
  const { fields, flags } = recordOf(src, dst);
  return c.classify(fields, 0, flags);
}

Deno.test("DirectionClassifier uses home networks for files", () => {
  const c = new DirectionClassifier({ homeNetworks: DEFAULT_HOME_NETWORKS });
  assert.equal(directionOf(c, "203.0.113.5", "192.168.1.10"), DIRECTION_INCOMING);
  assert.equal(directionOf(c, "192.168.1.10", "203.0.113.5"), DIRECTION_OUTGOING);
  assert.equal(directionOf(c, "192.168.1.10", "10.0.0.1"), DIRECTION_OTHER);
  assert.equal(directionOf(c, "203.0.113.5", "198.51.100.1"), DIRECTION_OTHER);
  assert.equal(directionOf(c, "2001:db8::1", "fd00::5"), DIRECTION_INCOMING);
  assert.equal(directionOf(c, "fe80::1", "2001:db8::1"), DIRECTION_OUTGOING);
});

Deno.test("DirectionClassifier puts the host's own addresses first when live", () => {
  const c = new DirectionClassifier({
    homeNetworks: DEFAULT_HOME_NETWORKS,
    hostAddresses: ["192.168.1.5", "fd00::5"],
  });
  assert.equal(directionOf(c, "192.168.1.5", "192.168.1.1"), DIRECTION_OUTGOING);
  assert.equal(directionOf(c, "192.168.1.1", "192.168.1.5"), DIRECTION_INCOMING);
  assert.equal(directionOf(c, "fd00::1", "fd00::5"), DIRECTION_INCOMING);
  assert.equal(directionOf(c, "192.168.1.7", "192.168.1.1"), DIRECTION_OTHER);
});

Deno.test("DirectionClassifier refuses a bad network with its text", () => {
  assert.throws(
    () => new DirectionClassifier({ homeNetworks: ["10.0.0.0/99"] }),
    /10\.0\.0\.0\/99/,
  );
});
