/**
 * @module pcap_writer
 * Re-exports testing/pcap_writer.ts, which bench/ also uses (tests keep importing it from here).
 */
export * from "../../testing/pcap_writer.ts";
