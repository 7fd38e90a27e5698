/**
 * @module link_types
 * The pcap link types the fuzzer makes frames for (LINKTYPE_ and DLT_ numbers).
 */

/** pcap link type numbers. */
export const NULL = 0,
  EN10MB = 1,
  RAW12 = 12,
  RAW14 = 14,
  RAW = 101,
  LOOP = 108,
  SLL = 113;
export const IPV4 = 228, IPV6 = 229, SLL2 = 276;
/** Every link type we decode, and one we do not (LINKTYPE_IEEE802_11_RADIOTAP). */
export const FUZZ_LINK_TYPES = [
  NULL,
  EN10MB,
  RAW12,
  RAW14,
  RAW,
  LOOP,
  SLL,
  IPV4,
  IPV6,
  SLL2,
  127,
];
