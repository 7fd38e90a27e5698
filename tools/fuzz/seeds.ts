/**
 * @module seeds
 * Valid seed frames for the fuzzer: every protocol on every link type that carries it.
 */
import {
  ahHeader,
  arp,
  cat,
  ethernet,
  extHeader,
  fragmentHeader,
  icmp,
  ipv4,
  ipv6,
  nullHeader,
  sll,
  sll2,
  tcp,
  udp,
  vlanTag,
} from "../../testing/frames.ts";

import { EN10MB, IPV4, IPV6, LOOP, NULL, RAW, RAW12, RAW14, SLL, SLL2 } from "./link_types.ts";
import { type Field, findFields } from "./fields.ts";

/** A network-layer packet: what it is and how a link layer announces it. */
export interface NetPacket {
  name: string;
  kind: "ipv4" | "ipv6" | "arp";
  bytes: Uint8Array;
}

/** A valid frame of one link type, and the length fields found in it. */
export interface Seed {
  name: string;
  linkType: number;
  bytes: Uint8Array;
  fields: Field[];
}

/** Every network-layer packet the seeds carry. */
export function netPackets(): NetPacket[] {
  const v4 = (name: string, bytes: Uint8Array): NetPacket => ({
    name,
    kind: "ipv4",
    bytes,
  });
  const v6 = (name: string, bytes: Uint8Array): NetPacket => ({
    name,
    kind: "ipv6",
    bytes,
  });
  const payload = new Array(24).fill(0x61);
  const tcpOpts = [2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1]; // MSS, NOP, WS, SACK-permitted, pad
  return [
    v4("ipv4/tcp", ipv4({ proto: 6, payload: tcp({ payload }) })),
    v4(
      "ipv4+options/tcp+options",
      ipv4({
        proto: 6,
        options: [7, 7, 4, 0, 0, 0, 0, 1, 1, 1, 1, 0], // record route, NOPs, end
        payload: tcp({ options: tcpOpts, flags: 0x12 }),
      }),
    ),
    v4("ipv4/udp", ipv4({ proto: 17, payload: udp({ payload }) })),
    v4("ipv4/icmp echo", ipv4({ proto: 1, payload: icmp(8, 0, payload) })),
    v4(
      "ipv4/icmp unreachable(udp)",
      ipv4({
        proto: 1,
        payload: icmp(3, 3, ipv4({ proto: 17, payload: udp() }), [0, 0, 0, 0]),
      }),
    ),
    v4(
      "ipv4/icmp time exceeded(ipv4+options/tcp)",
      ipv4({
        proto: 1,
        payload: icmp(
          11,
          0,
          ipv4({ proto: 6, options: [1, 1, 1, 0], payload: tcp() }),
          [
            0,
            0,
            0,
            0,
          ],
        ),
      }),
    ),
    v4(
      "ipv4 first fragment/udp",
      ipv4({ proto: 17, moreFragments: true, payload: udp({ payload }) }),
    ),
    v4("ipv4 later fragment", ipv4({ proto: 6, fragOffset: 1480, payload })),
    v4("ipv4/gre", ipv4({ proto: 47, payload })),
    v6("ipv6/tcp", ipv6({ nextHeader: 6, payload: tcp({ payload }) })),
    v6("ipv6/udp", ipv6({ nextHeader: 17, payload: udp({ payload }) })),
    v6(
      "ipv6+hbh+rh0+dst/tcp",
      ipv6({
        nextHeader: 0,
        payload: [
          ...extHeader(43),
          ...extHeader(60, 1, 0),
          ...extHeader(6, 0, 0),
          ...tcp(),
        ],
      }),
    ),
    v6(
      "ipv6+ah/udp",
      ipv6({ nextHeader: 51, payload: [...ahHeader(17, 2), ...udp()] }),
    ),
    v6(
      "ipv6 first fragment/udp",
      ipv6({
        nextHeader: 44,
        payload: [...fragmentHeader(17, 0, true, 7), ...udp({ payload })],
      }),
    ),
    v6(
      "ipv6 later fragment",
      ipv6({
        nextHeader: 44,
        payload: [...fragmentHeader(17, 1448, false, 7), ...payload],
      }),
    ),
    v6(
      "ipv6 atomic fragment/tcp",
      ipv6({
        nextHeader: 44,
        payload: [...fragmentHeader(6, 0, false, 9), ...tcp()],
      }),
    ),
    v6(
      "ipv6/icmpv6 echo",
      ipv6({ nextHeader: 58, payload: icmp(128, 0, payload) }),
    ),
    v6(
      "ipv6/icmpv6 unreachable(ipv6+hbh+frag/udp)",
      ipv6({
        nextHeader: 58,
        payload: icmp(
          1,
          4,
          ipv6({
            nextHeader: 0,
            payload: [
              ...extHeader(44),
              ...fragmentHeader(17, 0, true, 3),
              ...udp(),
            ],
          }),
          [0, 0, 0, 0],
        ),
      }),
    ),
    v6("ipv6 no next header", ipv6({ nextHeader: 59, payload })),
    v6(
      "ipv6 jumbogram",
      ipv6({
        nextHeader: 0,
        payloadLength: 0,
        payload: [...extHeader(17), ...udp()],
      }),
    ),
    { name: "arp request", kind: "arp", bytes: arp("10.0.0.1", "10.0.0.2") },
    { name: "arp reply", kind: "arp", bytes: arp("10.0.0.2", "10.0.0.1", 2) },
  ];
}

/** The ethertype announcing each kind of network packet. */
export const ETHERTYPE = { ipv4: 0x0800, ipv6: 0x86dd, arp: 0x0806 } as const;

/** The frames of `p` on every link type that can carry it. */
export function wrap(p: NetPacket): [string, number, Uint8Array][] {
  const type = ETHERTYPE[p.kind];
  const out: [string, number, Uint8Array][] = [
    ["EN10MB", EN10MB, ethernet(type, p.bytes)],
    ["EN10MB+vlan", EN10MB, ethernet(0x8100, cat(vlanTag(10, type), p.bytes))],
    [
      "EN10MB+qinq",
      EN10MB,
      ethernet(0x88a8, cat(vlanTag(100, 0x8100), vlanTag(20, type), p.bytes)),
    ],
    [
      "EN10MB+4 tags",
      EN10MB,
      ethernet(
        0x9100,
        cat(
          vlanTag(1, 0x88a8),
          vlanTag(2, 0x8100),
          vlanTag(3, 0x8100),
          vlanTag(4, type),
          p.bytes,
        ),
      ),
    ],
    ["LINUX_SLL", SLL, sll(type, p.bytes)],
    ["LINUX_SLL+vlan", SLL, sll(0x8100, cat(vlanTag(5, type), p.bytes))],
    ["LINUX_SLL2", SLL2, sll2(type, p.bytes)],
  ];
  if (p.kind === "arp") return out;
  const v6 = p.kind === "ipv6";
  out.push(
    ["NULL le", NULL, nullHeader(v6 ? 24 : 2, true, p.bytes)],
    ["NULL be", NULL, nullHeader(v6 ? 28 : 2, false, p.bytes)],
    ["LOOP", LOOP, nullHeader(v6 ? 30 : 2, false, p.bytes)],
    ["RAW(12)", RAW12, p.bytes],
    ["RAW(14)", RAW14, p.bytes],
    ["RAW(101)", RAW, p.bytes],
    [v6 ? "IPV6" : "IPV4", v6 ? IPV6 : IPV4, p.bytes],
  );
  return out;
}

/** Every seed: each network packet on each link type that carries it, with its fields. */
export function makeSeeds(): Seed[] {
  return netPackets().flatMap((p) =>
    wrap(p).map(([link, linkType, bytes]) => ({
      name: `${link} ${p.name}`,
      linkType,
      bytes,
      fields: findFields(linkType, bytes),
    }))
  );
}
