/**
 * @module eve_time
 * EVE timestamps: ISO 8601 in UTC with microseconds and a numeric offset, the form Suricata
 * writes and the Filebeat module parses ("2026-05-04T10:15:02.123456+0000").
 */

/** Formats microseconds since the Unix epoch as an EVE timestamp. */
export function eveTimestamp(timestampUs: number): string {
  const us = Math.floor(timestampUs);
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // 2026-05-04T10:15:02.123Z
  const micros = String(((us % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, "0");
  return `${iso.slice(0, 19)}.${micros}+0000`;
}

/** The wall clock in microseconds since the Unix epoch. */
export function wallClockUs(): number {
  return Date.now() * 1000;
}
