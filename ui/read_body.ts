/**
 * @module read_body
 * Reads a request body as text with a byte cap enforced while it streams: a chunked body has no
 * Content-Length to check first, and reading it whole before checking cost 200 MiB of memory for
 * a 100 MiB body.
 */

/**
 * The body of `request` as UTF-8 text, or null as soon as it exceeds `maxBytes` (the rest is
 * left unread and the stream cancelled).
 */
export async function readBodyCapped(request: Request, maxBytes: number): Promise<string | null> {
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
