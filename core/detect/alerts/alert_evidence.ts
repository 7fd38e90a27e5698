/**
 * @module alert_evidence
 * What an alert's detector counted, with true totals (`detection.evidence`): the ports of a
 * port scan, the hosts of a sweep, the sources of a flood. A detector makes one when its alert
 * starts (seeded with what its window holds) and adds to it while the alert lives; the lists
 * are built only when a record is written.
 *
 * Adding makes no object: ports are listed while few, then counted in a bitmap (exact, 16 KiB);
 * hosts and sources are counted exactly up to `alerts.evidence_exact_max` (a Set growing with
 * new values only), then estimated (HyperLogLog).
 */
import { keyText, type TableKey } from "../../packet/host_key.ts";
import { DistinctCounter } from "../../summary/distinct_count.ts";
import type { AlertEvidence as EvidenceRecord } from "../../records/eve_records.ts";

/** Port codes: TCP ports as they are, UDP ports plus UDP_PORT, IP protocols plus IP_PROTOCOL. */
export const UDP_PORT = 0x10000;
export const IP_PROTOCOL = 0x20000;
const CODES = IP_PROTOCOL + 256;

/** `alerts.evidence_list_max` and `alerts.evidence_exact_max`. */
export interface EvidenceLimits {
  listMax: number;
  exactMax: number;
}

/** Distinct port codes, exact. */
class PortSet {
  readonly list: number[] = [];
  #bits: Uint32Array | null = null;
  total = 0;

  constructor(readonly listMax: number) {}

  add(code: number): void {
    const bits = this.#bits;
    if (bits === null) {
      if (this.list.includes(code)) return;
      if (this.list.length < this.listMax) {
        this.list.push(code);
        this.total++;
        return;
      }
      this.#bits = new Uint32Array(CODES >>> 5);
      for (const listed of this.list) this.#bits[listed >>> 5]! |= 1 << (listed & 31);
      this.add(code);
      return;
    }
    const word = code >>> 5, bit = 1 << (code & 31);
    if ((bits[word]! & bit) !== 0) return;
    bits[word] = bits[word]! | bit;
    this.total++;
  }
}

/** Distinct addresses: exact up to a cap, then estimated; the first few listed. */
class KeySet {
  readonly list: TableKey[] = [];
  readonly #counter: DistinctCounter;

  constructor(readonly listMax: number, exactMax: number) {
    this.#counter = new DistinctCounter(exactMax);
  }

  add(key: TableKey): void {
    this.#counter.add(key);
    if (this.list.length < this.listMax && !this.list.includes(key)) this.list.push(key);
  }

  get total(): number {
    return this.#counter.count;
  }

  get exact(): boolean {
    return this.#counter.exact;
  }
}

/** The evidence of one alert; only the parts its detector counts are made. */
export class AlertEvidence {
  readonly ports: PortSet | null;
  readonly hosts: KeySet | null;
  readonly sources: KeySet | null;

  constructor(
    limits: EvidenceLimits,
    parts: { ports?: boolean; hosts?: boolean; sources?: boolean },
  ) {
    this.ports = parts.ports ? new PortSet(limits.listMax) : null;
    this.hosts = parts.hosts ? new KeySet(limits.listMax, limits.exactMax) : null;
    this.sources = parts.sources ? new KeySet(limits.listMax, limits.exactMax) : null;
  }

  addPort(code: number): void {
    this.ports?.add(code);
  }

  addHost(key: TableKey): void {
    this.hosts?.add(key);
  }

  addSource(key: TableKey): void {
    this.sources?.add(key);
  }

  /** The headline count (ports, else hosts, else sources) for the alert's sentence. */
  total(): EvidenceTotal | undefined {
    if (this.ports !== null) return { count: this.ports.total, exact: true };
    const set = this.hosts ?? this.sources;
    return set === null ? undefined : { count: set.total, exact: set.exact };
  }

  /** The record's `detection.evidence`, with the alert's peak. */
  toRecord(peak: number): EvidenceRecord {
    const { ports, hosts, sources } = this;
    return {
      ...(ports === null ? {} : { ports: ports.list.map(portText), ports_total: ports.total }),
      ...(hosts === null ? {} : {
        hosts: hosts.list.map(keyText),
        hosts_total: hosts.total,
        hosts_exact: hosts.exact,
      }),
      ...(sources === null ? {} : {
        sources: sources.list.map(keyText),
        sources_total: sources.total,
        sources_exact: sources.exact,
      }),
      peak,
    };
  }
}

/** "tcp/80", "udp/53" or "proto/47" for a port code. */
export function portText(code: number): string {
  if (code >= IP_PROTOCOL) return `proto/${code - IP_PROTOCOL}`;
  return code >= UDP_PORT ? `udp/${code - UDP_PORT}` : `tcp/${code}`;
}

/** The evidence's count of what a detector counts, and whether it is exact. */
export interface EvidenceTotal {
  count: number;
  exact: boolean;
}
