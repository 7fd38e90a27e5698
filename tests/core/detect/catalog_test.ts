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

/** SIEMs name a rule by its text (Filebeat's rule.name): a change here is a contract change. */
const PINNED_SIGNATURES: Record<string, string> = {
  high_packet_rate: "ANOMALY High packet rate from one source",
  unique_connections: "ANOMALY Connections to many destinations from one source",
  unusual_port: "ANOMALY Connection attempt to an unusual port",
  port_scan: "ANOMALY Port scan",
  host_sweep: "ANOMALY Host sweep",
  flood: "ANOMALY Flood toward one destination",
  reflection: "ANOMALY Reflection or amplification toward one host",
  capture_drops: "ANOMALY Capture dropping packets",
  state_saturation: "ANOMALY Detection state saturated",
  brute_force: "ANOMALY Login brute force",
  arp_spoofing: "ANOMALY ARP spoofing",
};

Deno.test("detectorInfo() gives each signature id one fixed signature text, none shared", () => {
  const texts = DETECTOR_NAMES.map((name) => detectorInfo(name).signature);
  assert.deepEqual(
    Object.fromEntries(DETECTOR_NAMES.map((name, i) => [name, texts[i]])),
    PINNED_SIGNATURES,
  );
  assert.equal(new Set(texts).size, texts.length);
  for (const text of texts) assert.match(text, /^ANOMALY [A-Z][^\d]*$/);
});
