import assert from "node:assert/strict";
import { defaultDevice, listDevices } from "../../ffi/devices.ts";
import { libpcapVersion } from "../../ffi/libpcap.ts";

Deno.test("listDevices() finds loopback with its IPv4 address and flags", () => {
  const devices = listDevices();
  assert.ok(devices.length > 0);
  const lo = devices.find((d) => d.loopback);
  assert.ok(lo, "a loopback device");
  assert.equal(lo.up, true);
  assert.deepEqual(
    lo.addresses.find((a) => a.family === "ipv4"),
    { family: "ipv4", address: "127.0.0.1", netmask: "255.0.0.0" },
  );
  const v6 = lo.addresses.find((a) => a.family === "ipv6");
  if (v6) assert.equal(v6.address, "::1");
  for (const d of devices) {
    assert.equal(typeof d.name, "string");
    for (const a of d.addresses) {
      assert.ok(
        a.family === "ipv4" ? /^\d+\.\d+\.\d+\.\d+$/.test(a.address) : a.address.includes(":"),
      );
    }
  }
});

const DEFAULT_DEVICE = defaultDevice();
if (DEFAULT_DEVICE === null) console.log("skip: defaultDevice() test: no up non-loopback device");

Deno.test("defaultDevice() is up, not loopback and has an address", {
  ignore: DEFAULT_DEVICE === null,
}, () => {
  const d = DEFAULT_DEVICE!;
  assert.equal(d.up, true);
  assert.equal(d.loopback, false);
  assert.ok(d.addresses.length > 0);
});

Deno.test("libpcapVersion() names libpcap", () => {
  assert.match(libpcapVersion(), /libpcap version \d+\.\d+/);
});
