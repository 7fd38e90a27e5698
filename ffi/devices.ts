/**
 * @module devices
 * Capture devices from `pcap_findalldevs`, with their IPv4/IPv6 addresses parsed from the C
 * `sockaddr` structs (the only place that knows those layouts).
 *
 * 64-bit layouts: pcap_if_t = {next @0, name @8, description @16, addresses @24, u32 flags @32};
 * pcap_addr = {next @0, addr @8, netmask @16, broadaddr @24, dstaddr @32}.
 * sockaddr: Linux {u16 family @0}, BSD/macOS {u8 len @0, u8 family @1}; sockaddr_in address @4;
 * sockaddr_in6 address @8.
 */
import { formatIpv6 } from "../core/packet/packet_batch.ts";
import { CaptureError, oneLine } from "./errors.ts";
import {
  errorBuffer,
  errorText,
  libpcap,
  PCAP_IF_LOOPBACK,
  PCAP_IF_RUNNING,
  PCAP_IF_UP,
  PCAP_IF_WIRELESS,
  readCString,
} from "./libpcap.ts";

/** One address of a device. */
export interface DeviceAddress {
  family: "ipv4" | "ipv6";
  address: string;
  netmask: string | null;
}

/** A device libpcap can capture on. */
export interface Device {
  name: string;
  description: string | null;
  addresses: DeviceAddress[];
  up: boolean;
  running: boolean;
  loopback: boolean;
  wireless: boolean;
}

const BSD_SOCKADDR = Deno.build.os === "darwin" || Deno.build.os === "freebsd";
const AF_INET = 2;
const AF_INET6 = BSD_SOCKADDR ? (Deno.build.os === "darwin" ? 30 : 28) : 10;

/** All capture devices, in libpcap's order. Throws `CaptureError`. */
export function listDevices(): Device[] {
  const lib = libpcap();
  const out = new BigUint64Array(1);
  const errbuf = errorBuffer();
  if (lib.pcap_findalldevs(out, errbuf) < 0) {
    throw new CaptureError(
      "capture_failed",
      `Cannot list capture devices: ${oneLine(errorText(errbuf))}`,
    );
  }
  const first = Deno.UnsafePointer.create(out[0]!);
  const devices: Device[] = [];
  try {
    for (let dev = first; dev !== null;) {
      const view = new Deno.UnsafePointerView(dev);
      const flags = view.getUint32(32);
      devices.push({
        name: readCString(view.getPointer(8)) ?? "",
        description: readCString(view.getPointer(16)),
        addresses: readAddresses(view.getPointer(24)),
        up: (flags & PCAP_IF_UP) !== 0,
        running: (flags & PCAP_IF_RUNNING) !== 0,
        loopback: (flags & PCAP_IF_LOOPBACK) !== 0,
        wireless: (flags & PCAP_IF_WIRELESS) !== 0,
      });
      dev = view.getPointer(0);
    }
  } finally {
    if (first !== null) lib.pcap_freealldevs(first);
  }
  return devices;
}

/** The first device that is up, not loopback and has an address; null when there is none. */
export function defaultDevice(): Device | null {
  return listDevices().find((d) => d.up && !d.loopback && d.addresses.length > 0) ?? null;
}

function readAddresses(first: Deno.PointerValue): DeviceAddress[] {
  const addresses: DeviceAddress[] = [];
  for (let entry = first; entry !== null;) {
    const view = new Deno.UnsafePointerView(entry);
    const address = readSockaddr(view.getPointer(8));
    if (address) {
      const mask = readSockaddr(view.getPointer(16));
      addresses.push({
        family: address.family,
        address: address.text,
        netmask: mask && mask.family === address.family ? mask.text : null,
      });
    }
    entry = view.getPointer(0);
  }
  return addresses;
}

/** The family and text of a sockaddr, or null for NULL and for families other than IPv4/IPv6. */
export function readSockaddr(
  pointer: Deno.PointerValue,
): { family: "ipv4" | "ipv6"; text: string } | null {
  if (pointer === null) return null;
  const view = new Deno.UnsafePointerView(pointer);
  const family = BSD_SOCKADDR ? view.getUint8(1) : view.getUint16(0);
  if (family === AF_INET) {
    const b = new Uint8Array(4);
    view.copyInto(b, 4);
    return { family: "ipv4", text: `${b[0]}.${b[1]}.${b[2]}.${b[3]}` };
  }
  if (family === AF_INET6) {
    const b = new Uint8Array(16);
    view.copyInto(b, 8);
    const words = new Int32Array(4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < 4; i++) words[i] = dv.getInt32(i * 4);
    return { family: "ipv6", text: formatIpv6(words, 0) };
  }
  return null;
}
