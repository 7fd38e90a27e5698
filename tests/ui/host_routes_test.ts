import assert from "node:assert/strict";
import { AlertHistory } from "../../core/store/alert_history.ts";
import { createApp } from "../../ui/server.ts";
import { makeTempDir } from "../support/pcap_writer.ts";
import {
  errorOf,
  fileController,
  heldController,
  post,
  settled,
  writeAlertFixture,
} from "./support.ts";

Deno.test("GET /api/hosts/{ip}: traffic from the capture's summary, alerts as source and target", async () => {
  await using dir = await makeTempDir();
  const path = await writeAlertFixture(dir.path);
  const controller = fileController(path, `${dir.path}/log`);
  const app = createApp(controller, { history: new AlertHistory(`${dir.path}/log`) });
  assert.equal((await post(app, "/api/start", "{}")).status, 200);
  await settled(controller);

  const attacker = await (await app.request("/api/hosts/10.0.0.66")).json();
  assert.equal(attacker.ip, "10.0.0.66");
  assert.equal(attacker.traffic.packets_sent, 150);
  assert.equal(attacker.traffic.packets_received, 0);
  assert.ok(attacker.traffic.bytes_sent > 150 * 40, String(attacker.traffic.bytes_sent));
  assert.equal(attacker.traffic.rate_pps, 25, "150 packets over the file's 6 s");
  assert.deepEqual(attacker.traffic.protocols, { tcp: 0, udp: 150, icmp: 0, other: 0 });
  // Watched since its alert started (the tick after the burst: no packet of it since).
  const t = attacker.traffic;
  assert.deepEqual(t.detail_watched_by, ["alert", "ui"]);
  assert.match(t.detail_since, /^2023-11-14T22:13:2\d\.\d{6}Z$/, "packet time, in the file");
  assert.deepEqual([t.detail_packets, t.top_peers, t.top_ports], [0, [], []]);
  assert.deepEqual(attacker.alerts_total, { as_source: 1, as_target: 0 });
  const [alert] = attacker.alerts.as_source;
  assert.equal(alert.detection.detector, "high_packet_rate");
  assert.equal(alert.triage.records, 2);

  const quiet = await (await app.request("/api/hosts/10.0.0.8")).json();
  assert.deepEqual([quiet.traffic.packets_sent, quiet.traffic.packets_received], [0, 5]);
  assert.deepEqual(quiet.traffic.protocols, { tcp: 0, udp: 5, icmp: 0, other: 0 });
  // Opened after the file ended: watched from now on, nothing counted yet.
  assert.deepEqual([quiet.traffic.top_peers, quiet.traffic.top_ports], [[], []]);
  assert.deepEqual([quiet.traffic.detail_watched_by, quiet.traffic.detail_packets], [["ui"], 0]);
  assert.deepEqual(quiet.alerts_total, { as_source: 0, as_target: 0 });
  const unseen = await (await app.request("/api/hosts/10.0.0.99")).json();
  assert.deepEqual(unseen, {
    ip: "10.0.0.99",
    traffic: null,
    alerts: { as_source: [], as_target: [] },
    alerts_total: { as_source: 0, as_target: 0 },
  });
});

Deno.test("GET /api/hosts/{ip} makes IPv6 canonical and refuses what is not an address", async () => {
  const app = createApp(heldController());
  const v6 = await (await app.request("/api/hosts/FE80:0:0:0::1")).json();
  assert.equal(v6.ip, "fe80::1");
  assert.equal(v6.traffic, null, "no capture yet");
  for (
    const [path, message] of [
      ["/api/hosts/10.0.0.256", /Bad address "10.0.0.256": expected an IPv4 or IPv6 address/],
      ["/api/hosts/example.com", /Bad address "example.com"/],
      ["/api/hosts/010.0.0.1", /Bad address/],
      ["/api/hosts/10.0.0.1?limit=0", /Bad limit "0"/],
      ["/api/hosts/10.0.0.1?sort=time", /Unknown parameter "sort"/],
    ] as const
  ) {
    const response = await app.request(path);
    assert.equal(response.status, 400, path);
    assert.match(await errorOf(response), message, path);
  }
});
