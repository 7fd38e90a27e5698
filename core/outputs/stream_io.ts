/**
 * @module stream_io
 * Writing a whole buffer to a connection (a write may take part of it).
 */

/** Writes all of `data` to `conn`. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}
