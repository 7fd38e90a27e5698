/**
 * @module random_capture
 * Writes the random-everything flood as a pcap: every packet from a random source to a random
 * destination on random ports, IPv4 or IPv6, a TCP SYN, a UDP datagram or an ICMP echo request.
 * Nothing repeats, so every packet is a new key in every table (the worst case for memory), and
 * the file is the same on every run (a fixed pseudo-random sequence).
 */

/** Packet time of the first packet: 2023-11-14T22:13:20Z. */
const T0_US = 1_700_000_000 * 1e6;
const ETHERNET_BYTES = 14;
const PACKETS_PER_CHUNK = 65_536;
/** The largest frame: Ethernet + IPv6 + TCP. */
const MAX_FRAME_BYTES = ETHERNET_BYTES + 40 + 20;

/** How the flood is made. */
export interface RandomFloodShape {
  packets: number;
  /** Packet time it is spread over. */
  seconds: number;
  /** Share of IPv6 packets, 0 to 1. */
  v6Share: number;
}

/** Writes the flood to `path` (pcap, µs, Ethernet), a chunk of packets at a time. */
export async function writeRandomFlood(path: string, shape: RandomFloodShape): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  await writeAll(file, pcapHeader());
  const random = xorshift(0x5eed1234);
  const stepUs = (shape.seconds * 1e6) / shape.packets;
  for (let first = 0; first < shape.packets; first += PACKETS_PER_CHUNK) {
    const count = Math.min(PACKETS_PER_CHUNK, shape.packets - first);
    const chunk = new Uint8Array(count * (16 + MAX_FRAME_BYTES));
    const view = new DataView(chunk.buffer);
    let at = 0;
    for (let k = 0; k < count; k++) {
      const tsUs = T0_US + Math.floor((first + k) * stepUs);
      const v6 = random() / 4294967296 < shape.v6Share;
      const length = writeFrame(view, at + 16, v6, random);
      view.setUint32(at, Math.floor(tsUs / 1e6), true);
      view.setUint32(at + 4, tsUs % 1e6, true);
      view.setUint32(at + 8, length, true);
      view.setUint32(at + 12, length, true);
      at += 16 + length;
    }
    await writeAll(file, chunk.subarray(0, at));
  }
}

/** One frame at `at`: Ethernet, IPv4 or IPv6, then SYN (40 %), UDP (40 %) or echo (20 %). */
function writeFrame(view: DataView, at: number, v6: boolean, random: () => number): number {
  for (let i = 0; i < 12; i += 4) view.setUint32(at + i, 0x02000000 + (i << 16)); // MACs
  view.setUint16(at + 12, v6 ? 0x86dd : 0x0800);
  const ip = at + ETHERNET_BYTES;
  const kind = random() % 5;
  const proto = kind < 2 ? 6 : kind < 4 ? 17 : v6 ? 58 : 1;
  const l4Bytes = proto === 6 ? 20 : 8;
  const l4 = ip + (v6 ? 40 : 20);
  if (v6) {
    view.setUint32(ip, 0x60000000);
    view.setUint16(ip + 4, l4Bytes);
    view.setUint8(ip + 6, proto);
    view.setUint8(ip + 7, 64);
    // 2000::/3 (global unicast), the rest random: a new address every packet.
    for (let i = 8; i < 40; i += 4) view.setUint32(ip + i, random());
    view.setUint8(ip + 8, 0x20 | (view.getUint8(ip + 8) & 0x1f));
    view.setUint8(ip + 24, 0x20 | (view.getUint8(ip + 24) & 0x1f));
  } else {
    view.setUint32(ip, 0x45000000 | (20 + l4Bytes));
    view.setUint32(ip + 4, (random() & 0xffff0000) | 0x4000);
    view.setUint32(ip + 8, (64 << 24) | (proto << 16));
    view.setUint32(ip + 12, publicIpv4(random()));
    view.setUint32(ip + 16, publicIpv4(random()));
    view.setUint16(ip + 10, checksum(view, ip, 20));
  }
  if (proto === 6 || proto === 17) {
    view.setUint32(l4, random()); // both ports
    if (proto === 6) {
      view.setUint32(l4 + 4, random()); // sequence number
      view.setUint32(l4 + 8, 0);
      view.setUint32(l4 + 12, 0x50020000 | 64240); // data offset 5, SYN, window
      view.setUint32(l4 + 16, 0);
    } else {
      view.setUint32(l4 + 4, 8 << 16); // length 8, checksum 0
    }
  } else {
    view.setUint32(l4, (v6 ? 128 : 8) << 24); // echo request, code 0, checksum 0
    view.setUint32(l4 + 4, random()); // identifier, sequence
    if (!v6) view.setUint16(l4 + 2, checksum(view, l4, 8));
  }
  return (l4 - at) + l4Bytes;
}

/** A random word moved out of 0/8, 10/8, 127/8 and 224/3 (home networks, multicast). */
function publicIpv4(word: number): number {
  const top = word >>> 24;
  const moved = top === 0 || top === 10 || top === 127 || top >= 224 ? 45 : top;
  return ((moved << 24) | (word & 0xffffff)) >>> 0;
}

function pcapHeader(): Uint8Array {
  const header = new DataView(new ArrayBuffer(24));
  header.setUint32(0, 0xa1b2c3d4, true);
  header.setUint16(4, 2, true);
  header.setUint16(6, 4, true);
  header.setUint32(16, 262144, true);
  header.setUint32(20, 1, true); // Ethernet
  return new Uint8Array(header.buffer);
}

/** The Internet checksum of `length` bytes at `offset` (its checksum field must be 0). */
function checksum(view: DataView, offset: number, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i += 2) sum += view.getUint16(offset + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** Marsaglia's xorshift32: a fixed, fast sequence of unsigned 32-bit words. */
function xorshift(seed: number): () => number {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}
