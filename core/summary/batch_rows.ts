/**
 * @module batch_rows
 * The format of the traffic summary's rows (core/summary/batch_summary.ts writes them in the capture
 * worker, core/summary/apply_rows.ts applies them on the main thread). Rows are one Float64Array, cut
 * into segments: each segment is a header of SEGMENT_WORDS words, then tagged rows (`ROW_*`,
 * each followed by its words), in the order the summary applies them.
 */

// Segment header words.
/** Index after the segment's last packet in the batch. */
export const SEG_END = 0;
/** Row offset of the next segment's header (the rows' length after the last). */
export const SEG_NEXT = 1;
export const SEG_FIRST_US = 2;
export const SEG_MAX_US = 3;
export const SEG_PACKETS = 4;
export const SEG_BYTES = 5;
export const SEG_INVALID = 6;
export const SEG_TRUNCATED = 7;
export const SEG_UNSUPPORTED = 8;
/** Words of a segment header. */
export const SEGMENT_WORDS = 9;

// Row tags, each followed by its words.
/** Flag bit, packets, bytes. */
export const ROW_PROTOCOL = 1;
/** Event id, count. */
export const ROW_EVENT = 2;
/** Unix second, packets, bytes. */
export const ROW_SECOND = 3;
/** Port table (0 TCP, 1 UDP), service port (core/summary/service_port.ts), packets. */
export const ROW_PORT = 4;
/** IPv4 word, then the host's HOST_COUNTERS counters. */
export const ROW_SOURCE_V4 = 5;
export const ROW_DESTINATION_V4 = 6;
/** Four IPv6 words, then the host's HOST_COUNTERS counters. */
export const ROW_SOURCE_V6 = 7;
export const ROW_DESTINATION_V6 = 8;

/**
 * Counters of a host row: packets, bytes, then TCP, UDP and ICMP (or ICMPv6) packets (the
 * rest, other, is packets minus those three).
 */
export const HOST_COUNTERS = 5;
