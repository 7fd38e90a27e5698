/**
 * @module syslog_output
 * Records to syslog as RFC 5424 messages whose MSG is the record's JSON line: over UDP (one
 * datagram each), TCP (octet-counted frames, RFC 6587 section 3.4.1) or a local Unix datagram
 * socket (/dev/log). TCP is watched for the server closing, so a restart costs at most the
 * frames written meanwhile; UDP and the Unix socket are unacknowledged.
 */
import dgram from "node:dgram";
import type { SyslogAddress } from "./output_address.ts";
import { type Delivery, SendError } from "./output_queue.ts";
import { type DatagramSender, type DatagramSenderFactory, isTooLarge } from "./datagram_sender.ts";
import { writeAll } from "./stream_io.ts";

const encoder = new TextEncoder();
/** RFC 5424 severities: alerts at warning, everything else at informational. */
const SEVERITY_WARNING = 4;
const SEVERITY_INFO = 6;
/** Largest UDP payload over IPv4. */
const MAX_UDP_BYTES = 65_507;

/** The RFC 5424 message of one record line. */
export function syslogMessage(
  line: string,
  options: { facility: number; hostname: string; pid: number; eventType: string },
): string {
  const severity = options.eventType === "alert" ? SEVERITY_WARNING : SEVERITY_INFO;
  const pri = options.facility * 8 + severity;
  const msgId = /^[\x21-\x7e]{1,32}$/.test(options.eventType) ? options.eventType : "-";
  return `<${pri}>1 ${new Date().toISOString()} ${options.hostname} anomaly ${options.pid} ` +
    `${msgId} - ${line}`;
}

/**
 * The HOSTNAME field for the sensor named `sensorName` (`sensor.name`, the records' `host`; ""
 * for the machine's hostname), as RFC 5424 allows it: printable ASCII without spaces, so each
 * other character becomes "_" ("-", the nil value, when there is no name at all).
 */
export function syslogHostname(sensorName: string): string {
  let name = sensorName;
  if (name === "") {
    try {
      name = Deno.hostname();
    } catch {
      return "-";
    }
  }
  const printable = [...name].map((c) => /^[\x21-\x7e]$/.test(c) ? c : "_").join("");
  return printable === "" ? "-" : printable.slice(0, 255);
}

/**
 * Delivers messages (already formatted) to `address`; a unix:// address needs `datagrams`, the
 * sender factory the caller injects (core/ never loads FFI).
 */
export function syslogDelivery(
  address: SyslogAddress,
  datagrams?: DatagramSenderFactory,
): Delivery {
  if (address.transport === "unix") {
    if (datagrams === undefined) {
      throw new Error(
        `outputs.syslog.address unix://${address.path} needs a Unix datagram sender, which ` +
          "this program did not provide (main.ts passes ffi/unix_datagram.ts's); use udp:// or tcp://",
      );
    }
    return new UnixDelivery(datagrams(address.path));
  }
  if (address.transport === "udp") return new UdpDelivery(address.hostname, address.port);
  return new TcpDelivery(address.hostname, address.port);
}

class UdpDelivery implements Delivery {
  #socket: dgram.Socket | null = null;
  constructor(readonly hostname: string, readonly port: number) {}

  send(message: string): Promise<void> {
    const bytes = encoder.encode(message);
    if (bytes.length > MAX_UDP_BYTES) {
      return Promise.reject(
        new SendError(`a ${bytes.length}-byte message does not fit a UDP datagram`, false),
      );
    }
    this.#socket ??= dgram.createSocket(this.hostname.includes(":") ? "udp6" : "udp4");
    const socket = this.#socket;
    return new Promise((resolve, reject) => {
      socket.send(bytes, this.port, this.hostname, (error) => error ? reject(error) : resolve());
    });
  }

  reset(): void {
    this.close();
  }

  close(): void {
    try {
      this.#socket?.close();
    } catch { /* already closed */ }
    this.#socket = null;
  }
}

class TcpDelivery implements Delivery {
  #conn: Deno.TcpConn | null = null;
  #closedByPeer = false;
  constructor(readonly hostname: string, readonly port: number) {}

  async send(message: string): Promise<void> {
    const bytes = encoder.encode(message);
    const frame = encoder.encode(`${bytes.length} `);
    const conn = await this.#connect();
    const whole = new Uint8Array(frame.length + bytes.length);
    whole.set(frame);
    whole.set(bytes, frame.length);
    await writeAll(conn, whole);
  }

  async #connect(): Promise<Deno.TcpConn> {
    if (this.#conn !== null && this.#closedByPeer) this.reset();
    if (this.#conn !== null) return this.#conn;
    const conn = await Deno.connect({ hostname: this.hostname, port: this.port });
    this.#conn = conn;
    this.#closedByPeer = false;
    void this.#watch(conn);
    return conn;
  }

  /** Syslog servers never answer on this connection: a read ending means the server closed it. */
  async #watch(conn: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(512);
    try {
      while ((await conn.read(buffer)) !== null) { /* nothing is expected; ignore it */ }
    } catch { /* reset or closed by us */ }
    if (this.#conn === conn) this.#closedByPeer = true;
  }

  reset(): void {
    this.close();
  }

  close(): void {
    try {
      this.#conn?.close();
    } catch { /* already closed */ }
    this.#conn = null;
  }
}

class UnixDelivery implements Delivery {
  constructor(readonly sender: DatagramSender) {}

  send(message: string): Promise<void> {
    try {
      this.sender.send(encoder.encode(message));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(
        isTooLarge(error)
          ? new SendError(`the message is too large for ${this.sender.path}`, false)
          : error,
      );
    }
  }

  reset(): void {
    this.sender.close();
  }

  close(): void {
    this.sender.close();
  }
}
