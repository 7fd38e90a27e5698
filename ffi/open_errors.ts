/**
 * @module open_errors
 * Why a capture could not be opened: pcap_activate statuses and pcap_open_offline texts sorted
 * into CaptureError codes with a message that says what to do.
 */
import { CaptureError, oneLine } from "./errors.ts";
import {
  lastPcapError,
  PCAP_ERROR,
  PCAP_ERROR_IFACE_NOT_UP,
  PCAP_ERROR_NO_SUCH_DEVICE,
  PCAP_ERROR_PERM_DENIED,
  PCAP_ERROR_PROMISC_PERM_DENIED,
  PCAP_WARNING,
  statusText,
} from "./libpcap.ts";

/** The CaptureError for a failed pcap_activate `status`, with a fix where there is one. */
export function activationError(
  p: Deno.PointerObject,
  device: string,
  status: number,
): CaptureError {
  switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return new CaptureError(
        "no_such_device",
        `Cannot capture on "${device}": no such device (see --list-interfaces)`,
      );
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return new CaptureError(
        "permission_denied",
        `Cannot capture on "${device}": permission denied ` +
          `(run as root, or setcap cap_net_raw,cap_net_admin=eip on the binary)`,
      );
    case PCAP_ERROR_IFACE_NOT_UP:
      return new CaptureError(
        "capture_failed",
        `Cannot capture on "${device}": the interface is not up ` +
          `(bring it up with "ip link set ${device} up")`,
      );
    default: {
      const detail = status === PCAP_ERROR ? lastPcapError(p) : statusText(status);
      return new CaptureError(
        "capture_failed",
        `Cannot capture on "${device}": ${oneLine(detail)}`,
      );
    }
  }
}

/** The warning line for a pcap_activate `status` above 0. */
export function activationWarning(p: Deno.PointerObject, device: string, status: number): string {
  const detail = status === PCAP_WARNING ? lastPcapError(p) : statusText(status);
  return `Capture on "${device}": ${oneLine(detail)}`;
}

/** Magic numbers of pcap (µs and ns, both byte orders) and pcapng (the SHB block type). */
const CAPTURE_MAGICS = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a];
/** Bytes before the first packet can start: the pcap file header; pcapng's smallest SHB + IDB. */
const PCAP_HEADER_LEN = 24;
const PCAPNG_MIN_HEAD = 28 + 20;

/** The first bytes of `path` (up to 64), or null when it cannot be read. */
export function fileHead(path: string): Uint8Array | null {
  try {
    using file = Deno.openSync(path);
    const head = new Uint8Array(64);
    let n = 0;
    while (n < head.length) {
      const got = file.readSync(head.subarray(n));
      if (got === null) break;
      n += got;
    }
    return head.subarray(0, n);
  } catch {
    return null;
  }
}

/** True when `head` starts with a capture magic, or is a prefix of one (the file is short). */
function looksLikeCapture(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  const n = Math.min(4, head.length);
  return CAPTURE_MAGICS.some((magic) => {
    for (let i = 0; i < n; i++) if (head[i] !== ((magic >>> (24 - 8 * i)) & 255)) return false;
    return true;
  });
}

/**
 * Sorts libpcap's pcap_open_offline text into a code and a message with a fix. `head` (the
 * file's first bytes, when known) tells an empty file, and a capture cut inside its headers
 * (libpcap then says "unknown file format"), from a file that is not a capture.
 */
export function offlineOpenError(
  path: string,
  text: string,
  head: Uint8Array | null = null,
): CaptureError {
  if (head !== null && head.length === 0 && !/no such file|permission|directory/i.test(text)) {
    return new CaptureError(
      "not_a_capture",
      `"${path}" is empty (0 bytes): not a pcap or pcapng capture file; ` +
        `give a file written by tcpdump -w, Wireshark or dumpcap`,
    );
  }
  if (
    head !== null && looksLikeCapture(head) &&
    head.length < (head[0] === 0x0a ? PCAPNG_MIN_HEAD : PCAP_HEADER_LEN) &&
    /unknown file format|truncated/i.test(text)
  ) {
    return new CaptureError(
      "truncated_file",
      `"${path}" is truncated inside its file header (${head.length} bytes): ` +
        `no packet can be read (libpcap: ${text})`,
    );
  }
  if (/no interface description block/i.test(text)) {
    return new CaptureError(
      "truncated_file",
      `"${path}" is truncated before its first packet: the pcapng file ends before any ` +
        `interface description block (libpcap: ${text})`,
    );
  }
  if (/no such file/i.test(text)) {
    return new CaptureError(
      "unreadable_file",
      `Cannot read "${path}": no such file (check the path)`,
    );
  }
  if (/permission denied/i.test(text)) {
    return new CaptureError(
      "unreadable_file",
      `Cannot read "${path}": permission denied (check the file's permissions, or run as its owner)`,
    );
  }
  if (/is a directory/i.test(text)) {
    return new CaptureError(
      "unreadable_file",
      `Cannot read "${path}": it is a directory (give the path of a pcap or pcapng file)`,
    );
  }
  if (/truncated/i.test(text)) {
    return new CaptureError(
      "truncated_file",
      `"${path}" is truncated before its first packet (libpcap: ${text})`,
    );
  }
  if (/unknown file format|bad dump file format|archaic|not a|unsupported/i.test(text)) {
    return new CaptureError(
      "not_a_capture",
      `"${path}" is not a pcap or pcapng capture file (libpcap: ${text}); ` +
        `give a file written by tcpdump -w, Wireshark or dumpcap`,
    );
  }
  return new CaptureError("unreadable_file", `Cannot read "${path}" (libpcap: ${text})`);
}
