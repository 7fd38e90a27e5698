import assert from "node:assert/strict";
import { DETECTOR_NAMES, detectorInfo, FIRST_SIGNATURE_ID } from "../../../core/detect/catalog.ts";

/** Users' SIEM rules key on these: a change here is a contract change. */
const PINNED: Record<string, number> = {
  high_packet_rate: 1000001,
  unique_connections: 1000002,
  unusual_port: 1000003,
  port_scan: 1000004,
  host_sweep: 1000005,
  flood: 1000006,
  reflection: 1000007,
  capture_drops: 1000008,
  state_saturation: 1000009,
  brute_force: 1000010,
  arp_spoofing: 1000011,
};

Deno.test("detectorInfo() gives every detector its pinned signature id", () => {
  assert.deepEqual(
    Object.fromEntries(DETECTOR_NAMES.map((name) => [name, detectorInfo(name).signatureId])),
    PINNED,
  );
});

Deno.test("signature ids are contiguous from FIRST_SIGNATURE_ID (alert tables index by them)", () => {
  const ids = DETECTOR_NAMES.map((name) => detectorInfo(name).signatureId).sort((a, b) => a - b);
  assert.deepEqual(ids, ids.map((_, i) => FIRST_SIGNATURE_ID + i));
});
