/**
 * @module redis_output
 * Records to Redis as Suricata's Redis output sends them: RPUSH to a list, PUBLISH to a channel
 * or XADD to a stream (field `eve`, trimmed to about stream_maxlen entries), one command per
 * record with its reply awaited, so an error reply or a lost connection is known and retried.
 */
import type { RedisAddress } from "./output_address.ts";
import { type Delivery, SendError } from "./output_queue.ts";
import { encodeCommand, ReplyReader } from "./resp.ts";
import { writeAll } from "./stream_io.ts";

/** Which command carries a record. */
export interface RedisTarget {
  key: string;
  mode: "list" | "channel" | "stream";
  streamMaxLen: number;
}

/** The command that stores `line` as `target` says. */
export function redisCommand(target: RedisTarget, line: string): string[] {
  switch (target.mode) {
    case "list":
      return ["RPUSH", target.key, line];
    case "channel":
      return ["PUBLISH", target.key, line];
    case "stream":
      return ["XADD", target.key, "MAXLEN", "~", String(target.streamMaxLen), "*", "eve", line];
  }
}

/** Delivers lines to one Redis server over one connection, reconnecting after a failure. */
export class RedisDelivery implements Delivery {
  readonly #address: RedisAddress;
  readonly #target: RedisTarget;
  #conn: Deno.TcpConn | null = null;
  #reader: ReplyReader | null = null;

  constructor(address: RedisAddress, target: RedisTarget) {
    this.#address = address;
    this.#target = target;
  }

  async send(line: string): Promise<void> {
    const reply = await this.#command(redisCommand(this.#target, line));
    // An error reply (WRONGTYPE, OOM...) is about the key or the server's state: retried
    // with the others, as a restart or a fix of the key makes it go.
    if (reply.error) throw new SendError(`Redis answered "${reply.message}"`, true);
  }

  async #command(args: string[]) {
    const { conn, reader } = await this.#connect();
    await writeAll(conn, encodeCommand(args));
    return await reader.read();
  }

  async #connect(): Promise<{ conn: Deno.TcpConn; reader: ReplyReader }> {
    if (this.#conn !== null && this.#reader !== null) {
      return { conn: this.#conn, reader: this.#reader };
    }
    const conn = await Deno.connect({ hostname: this.#address.hostname, port: this.#address.port });
    const reader = new ReplyReader(conn);
    this.#conn = conn;
    this.#reader = reader;
    const { username, password, db } = this.#address;
    const hello: string[][] = [];
    if (password !== "") {
      hello.push(username === "" ? ["AUTH", password] : ["AUTH", username, password]);
    }
    if (db > 0) hello.push(["SELECT", String(db)]);
    for (const args of hello) {
      await writeAll(conn, encodeCommand(args));
      const reply = await reader.read();
      if (reply.error) throw new SendError(`Redis refused ${args[0]}: "${reply.message}"`, true);
    }
    return { conn, reader };
  }

  reset(): void {
    this.close();
  }

  close(): void {
    try {
      this.#conn?.close();
    } catch { /* already closed */ }
    this.#conn = null;
    this.#reader = null;
  }
}
