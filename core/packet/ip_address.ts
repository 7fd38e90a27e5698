/**
 * @module ip_address
 * Parsing and matching of IPv4/IPv6 addresses and CIDR blocks, in the word layout of packet
 * records (IPv4 as one big-endian uint32; IPv6 as four).
 */

/** A parsed address: four words (IPv4 uses word 0 only). */
export interface ParsedAddress {
  version: 4 | 6;
  words: [number, number, number, number];
}

/** A CIDR block ready for matching. */
export interface Cidr {
  version: 4 | 6;
  words: [number, number, number, number];
  masks: [number, number, number, number];
  text: string;
}

/** Parses "10.0.0.1" or "fe80::1"; returns null when the text is not an address. */
export function parseAddress(text: string): ParsedAddress | null {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): ParsedAddress | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    // No leading zeros: "010" is octal 8 to inet_aton and decimal 10 elsewhere; refuse it.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return { version: 4, words: [value | 0, 0, 0, 0] };
}

function parseIpv6(text: string): ParsedAddress | null {
  const zoneless = text.split("%")[0]!;
  const halves = zoneless.split("::");
  if (halves.length > 2) return null;
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const words: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) | 0;
  return { version: 6, words };
}

function groupsOf(text: string): number[] | null {
  if (text === "") return [];
  const groups: number[] = [];
  const parts = text.split(":");
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === null) return null;
      const v = v4.words[0] >>> 0;
      groups.push(v >>> 16, v & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null;
      groups.push(parseInt(part, 16));
    }
  }
  return groups;
}

/** Parses "10.0.0.0/8", "fd00::/8" or a bare address (a /32 or /128); null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const [addressText, prefixText, extra] = text.trim().split("/");
  if (extra !== undefined || addressText === undefined) return null;
  const address = parseAddress(addressText);
  if (address === null) return null;
  const maxPrefix = address.version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (prefix > maxPrefix) return null;
  const masks: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * i));
    masks[i] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) | 0;
  }
  if (address.version === 4) masks[1] = masks[2] = masks[3] = 0;
  const words = address.words.map((w, i) => (w & masks[i]!) | 0) as Cidr["words"];
  return { version: address.version, words, masks, text: text.trim() };
}

/** A set of CIDR blocks matched against addresses in packet-record layout. */
export class CidrSet {
  readonly #v4: Int32Array;
  readonly #v6: Cidr[];
  readonly blocks: readonly Cidr[];

  constructor(blocks: readonly Cidr[]) {
    this.blocks = blocks;
    const v4 = blocks.filter((b) => b.version === 4);
    this.#v4 = new Int32Array(v4.length * 2);
    v4.forEach((b, i) => {
      this.#v4[2 * i] = b.words[0];
      this.#v4[2 * i + 1] = b.masks[0];
    });
    this.#v6 = blocks.filter((b) => b.version === 6);
  }

  /** True when the IPv4 address (record word, signed or not) is inside a block. */
  hasIpv4(word: number): boolean {
    const table = this.#v4;
    for (let i = 0; i < table.length; i += 2) {
      if ((word & table[i + 1]!) === table[i]) return true;
    }
    return false;
  }

  /** True when the IPv6 address at `fields[base..base+3]` is inside a block. */
  hasIpv6(fields: Int32Array, base: number): boolean {
    for (const b of this.#v6) {
      if (
        (fields[base]! & b.masks[0]) === b.words[0] &&
        (fields[base + 1]! & b.masks[1]) === b.words[1] &&
        (fields[base + 2]! & b.masks[2]) === b.words[2] &&
        (fields[base + 3]! & b.masks[3]) === b.words[3]
      ) return true;
    }
    return false;
  }

  /** Matches a parsed address. */
  has(address: ParsedAddress): boolean {
    if (address.version === 4) return this.hasIpv4(address.words[0]);
    return this.hasIpv6(Int32Array.from(address.words), 0);
  }
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === "0:0:0:0:0:0:0:1";
}
