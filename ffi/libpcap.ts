/**
 * @module libpcap
 * The single `Deno.dlopen` of the project: libpcap's symbols, each parameter with its C prototype,
 * plus the library lookup and the few C-string helpers the rest of `ffi/` shares.
 *
 * Lookup: `ANOMALY_LIBPCAP` when set (and only that path: an explicit choice fails loudly), else
 * `libpcap.so.1`, `libpcap.so.0.8`, `libpcap.so`, `libpcap.A.dylib`.
 *
 * Result types are `i32`/`pointer`/`void` only: nothing on the hot path comes back as a BigInt.
 */
import { CaptureError } from "./errors.ts";

/** Size of libpcap's error buffer (PCAP_ERRBUF_SIZE). */
export const PCAP_ERRBUF_SIZE = 256;
/** `pcap_compile` netmask when it is not known (PCAP_NETMASK_UNKNOWN). */
export const PCAP_NETMASK_UNKNOWN = 0xffffffff;

// pcap_activate() and friends (pcap/pcap.h).
export const PCAP_ERROR = -1;
export const PCAP_ERROR_BREAK = -2;
export const PCAP_ERROR_NOT_ACTIVATED = -3;
export const PCAP_ERROR_ACTIVATED = -4;
export const PCAP_ERROR_NO_SUCH_DEVICE = -5;
export const PCAP_ERROR_RFMON_NOTSUP = -6;
export const PCAP_ERROR_NOT_RFMON = -7;
export const PCAP_ERROR_PERM_DENIED = -8;
export const PCAP_ERROR_IFACE_NOT_UP = -9;
export const PCAP_ERROR_CANTSET_TSTAMP_TYPE = -10;
export const PCAP_ERROR_PROMISC_PERM_DENIED = -11;
export const PCAP_ERROR_TSTAMP_PRECISION_NOTSUP = -12;
export const PCAP_WARNING = 1;
export const PCAP_WARNING_PROMISC_NOTSUP = 2;
export const PCAP_WARNING_TSTAMP_TYPE_NOTSUP = 3;

// pcap_if_t.flags
export const PCAP_IF_LOOPBACK = 0x1;
export const PCAP_IF_UP = 0x2;
export const PCAP_IF_RUNNING = 0x4;
export const PCAP_IF_WIRELESS = 0x8;

const SYMBOLS = {
  // int pcap_findalldevs(pcap_if_t **alldevsp, char *errbuf)
  pcap_findalldevs: {
    parameters: [
      "buffer", // pcap_if_t **alldevsp
      "buffer", // char *errbuf
    ],
    result: "i32",
  },
  // void pcap_freealldevs(pcap_if_t *alldevs)
  pcap_freealldevs: {
    parameters: [
      "pointer", // pcap_if_t *alldevs
    ],
    result: "void",
  },
  // pcap_t *pcap_create(const char *source, char *errbuf)
  pcap_create: {
    parameters: [
      "buffer", // const char *source
      "buffer", // char *errbuf
    ],
    result: "pointer",
  },
  // int pcap_set_snaplen(pcap_t *p, int snaplen)
  pcap_set_snaplen: {
    parameters: [
      "pointer", // pcap_t *p
      "i32", // int snaplen
    ],
    result: "i32",
  },
  // int pcap_set_promisc(pcap_t *p, int promisc)
  pcap_set_promisc: {
    parameters: [
      "pointer", // pcap_t *p
      "i32", // int promisc
    ],
    result: "i32",
  },
  // int pcap_set_buffer_size(pcap_t *p, int buffer_size)
  pcap_set_buffer_size: {
    parameters: [
      "pointer", // pcap_t *p
      "i32", // int buffer_size
    ],
    result: "i32",
  },
  // int pcap_set_immediate_mode(pcap_t *p, int immediate_mode)
  pcap_set_immediate_mode: {
    parameters: [
      "pointer", // pcap_t *p
      "i32", // int immediate_mode
    ],
    result: "i32",
  },
  // int pcap_set_timeout(pcap_t *p, int to_ms)
  pcap_set_timeout: {
    parameters: [
      "pointer", // pcap_t *p
      "i32", // int to_ms
    ],
    result: "i32",
  },
  // int pcap_activate(pcap_t *p)
  pcap_activate: {
    parameters: [
      "pointer", // pcap_t *p
    ],
    result: "i32",
  },
  // pcap_t *pcap_open_offline(const char *fname, char *errbuf)   (pcap and pcapng)
  pcap_open_offline: {
    parameters: [
      "buffer", // const char *fname
      "buffer", // char *errbuf
    ],
    result: "pointer",
  },
  // int pcap_compile(pcap_t *p, struct bpf_program *fp, const char *str, int optimize,
  //                  bpf_u_int32 netmask)
  pcap_compile: {
    parameters: [
      "pointer", // pcap_t *p
      "buffer", // struct bpf_program *fp
      "buffer", // const char *str
      "i32", // int optimize
      "u32", // bpf_u_int32 netmask
    ],
    result: "i32",
  },
  // int pcap_setfilter(pcap_t *p, struct bpf_program *fp)
  pcap_setfilter: {
    parameters: [
      "pointer", // pcap_t *p
      "buffer", // struct bpf_program *fp
    ],
    result: "i32",
  },
  // void pcap_freecode(struct bpf_program *fp)
  pcap_freecode: {
    parameters: [
      "buffer", // struct bpf_program *fp
    ],
    result: "void",
  },
  // int pcap_datalink(pcap_t *p)
  pcap_datalink: {
    parameters: [
      "pointer", // pcap_t *p
    ],
    result: "i32",
  },
  // const char *pcap_datalink_val_to_name(int dlt)
  pcap_datalink_val_to_name: {
    parameters: [
      "i32", // int dlt
    ],
    result: "pointer",
  },
  // int pcap_snapshot(pcap_t *p)
  pcap_snapshot: {
    parameters: [
      "pointer", // pcap_t *p
    ],
    result: "i32",
  },
  // int pcap_stats(pcap_t *p, struct pcap_stat *ps)
  pcap_stats: {
    parameters: [
      "pointer", // pcap_t *p
      "buffer", // struct pcap_stat *ps
    ],
    result: "i32",
  },
  // int pcap_setnonblock(pcap_t *p, int nonblock, char *errbuf)
  pcap_setnonblock: {
    parameters: [
      "pointer", // pcap_t *p
      "i32", // int nonblock
      "buffer", // char *errbuf
    ],
    result: "i32",
  },
  // int pcap_next_ex(pcap_t *p, struct pcap_pkthdr **pkt_header, const u_char **pkt_data)
  pcap_next_ex: {
    parameters: [
      "pointer", // pcap_t *p
      "pointer", // struct pcap_pkthdr **pkt_header   (a pointer made once over a reused array)
      "pointer", // const u_char **pkt_data           (idem)
    ],
    result: "i32",
  },
  // void pcap_breakloop(pcap_t *p)
  pcap_breakloop: {
    parameters: [
      "pointer", // pcap_t *p
    ],
    result: "void",
  },
  // void pcap_close(pcap_t *p)
  pcap_close: {
    parameters: [
      "pointer", // pcap_t *p
    ],
    result: "void",
  },
  // const char *pcap_lib_version(void)
  pcap_lib_version: {
    parameters: [],
    result: "pointer",
  },
  // char *pcap_geterr(pcap_t *p)
  pcap_geterr: {
    parameters: [
      "pointer", // pcap_t *p
    ],
    result: "pointer",
  },
  // const char *pcap_statustostr(int error)
  pcap_statustostr: {
    parameters: [
      "i32", // int error
    ],
    result: "pointer",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded symbols. */
export type Libpcap = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const CANDIDATES = ["libpcap.so.1", "libpcap.so.0.8", "libpcap.so", "libpcap.A.dylib"];

let loaded: Libpcap | undefined;

/**
 * Loads libpcap once per thread (the capture worker loads its own copy of the table) and returns
 * its symbols. Throws `CaptureError("library_missing")`; a missing `--allow-ffi` passes through.
 */
export function libpcap(): Libpcap {
  if (loaded) return loaded;
  const override = Deno.env.get("ANOMALY_LIBPCAP");
  const paths = override ? [override] : CANDIDATES;
  let lastError: unknown;
  for (const path of paths) {
    try {
      loaded = Deno.dlopen(path, SYMBOLS).symbols;
      return loaded;
    } catch (e) {
      if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) throw e;
      lastError = e;
    }
  }
  const message = override
    ? `Cannot load libpcap from ANOMALY_LIBPCAP="${override}": no usable library there ` +
      `(fix the path, or unset ANOMALY_LIBPCAP to use the system libpcap)`
    : `Cannot load libpcap: install it with "apt-get install libpcap0.8" ` +
      `(or set ANOMALY_LIBPCAP to its path)`;
  throw new CaptureError("library_missing", message, { cause: lastError });
}

/** libpcap's version string, e.g. "libpcap version 1.10.3 (with TPACKET_V3)". */
export function libpcapVersion(): string {
  return readCString(libpcap().pcap_lib_version()) ?? "unknown";
}

/** A NUL-terminated copy of `text` for `const char *` parameters. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text + "\0");
}

/** A fresh error buffer of PCAP_ERRBUF_SIZE bytes. */
export function errorBuffer(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(PCAP_ERRBUF_SIZE);
}

/** The text in an error buffer filled by libpcap. */
export function errorText(errbuf: Uint8Array): string {
  const end = errbuf.indexOf(0);
  return new TextDecoder().decode(errbuf.subarray(0, end < 0 ? errbuf.length : end));
}

/** The C string at `pointer`, or null for NULL. */
export function readCString(pointer: Deno.PointerValue): string | null {
  return pointer === null ? null : Deno.UnsafePointerView.getCString(pointer);
}

/** `pcap_geterr(p)` as text. */
export function lastPcapError(p: Deno.PointerObject): string {
  return readCString(libpcap().pcap_geterr(p)) ?? "unknown libpcap error";
}

/** `pcap_statustostr(status)` as text. */
export function statusText(status: number): string {
  return readCString(libpcap().pcap_statustostr(status)) ?? `libpcap status ${status}`;
}

/** libpcap's name for a link type ("EN10MB"), or `DLT_<n>` when it has none. */
export function linkTypeName(dlt: number): string {
  return readCString(libpcap().pcap_datalink_val_to_name(dlt)) ?? `DLT_${dlt}`;
}
