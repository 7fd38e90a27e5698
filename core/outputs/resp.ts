/**
 * @module resp
 * The few bytes of RESP (the Redis protocol) the Redis output needs: a command as an array of
 * bulk strings, and one reply read back (simple string, error, integer or bulk string). Our own
 * rather than a client library: four commands, no dependency to keep up to date, and the
 * connection stays ours to bound and reconnect.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CR = 13;
/** Longest reply we accept: ours are short (OK, a length, a stream id). */
const MAX_REPLY_BYTES = 64 * 1024;

/** A command as RESP: `*N\r\n` then `$len\r\narg\r\n` for each argument. */
export function encodeCommand(args: readonly string[]): Uint8Array<ArrayBuffer> {
  const parts = args.map((arg) => encoder.encode(arg));
  const chunks: Uint8Array[] = [encoder.encode(`*${parts.length}\r\n`)];
  for (const part of parts) {
    chunks.push(encoder.encode(`$${part.length}\r\n`), part, encoder.encode("\r\n"));
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** A reply: ok with its text, or an error reply (`-ERR ...`). */
export type Reply = { error: false; value: string } | { error: true; message: string };

/** Reads replies from a connection, keeping bytes that arrive ahead of the next one. */
export class ReplyReader {
  readonly #conn: Deno.Conn;
  #buffer = new Uint8Array(0);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** The next reply; throws when the connection ends or sends what is not a RESP reply. */
  async read(): Promise<Reply> {
    for (;;) {
      const parsed = parseReply(this.#buffer);
      if (parsed !== null) {
        this.#buffer = this.#buffer.slice(parsed.length);
        return parsed.reply;
      }
      if (this.#buffer.length > MAX_REPLY_BYTES) throw new Error("reply too long");
      const chunk = new Uint8Array(4096);
      const n = await this.#conn.read(chunk);
      if (n === null) throw new Error("connection closed by the server");
      const grown = new Uint8Array(this.#buffer.length + n);
      grown.set(this.#buffer);
      grown.set(chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = grown;
    }
  }
}

/** One reply from the front of `bytes` and its length, or null if it is not complete yet. */
export function parseReply(bytes: Uint8Array): { reply: Reply; length: number } | null {
  const lineEnd = bytes.indexOf(CR);
  if (lineEnd < 0 || lineEnd + 1 >= bytes.length) return null;
  const line = decoder.decode(bytes.subarray(1, lineEnd));
  const afterLine = lineEnd + 2;
  switch (bytes[0]) {
    case 0x2b: // + simple string
    case 0x3a: // : integer
      return { reply: { error: false, value: line }, length: afterLine };
    case 0x2d: // - error
      return { reply: { error: true, message: line }, length: afterLine };
    case 0x24: { // $ bulk string ($-1 is null)
      const size = Number(line);
      if (size < 0) return { reply: { error: false, value: "" }, length: afterLine };
      if (bytes.length < afterLine + size + 2) return null;
      const value = decoder.decode(bytes.subarray(afterLine, afterLine + size));
      return { reply: { error: false, value }, length: afterLine + size + 2 };
    }
    default:
      throw new Error(`unexpected reply starting with byte ${bytes[0]}`);
  }
}
