/**
 * @module datagram_sender
 * What the syslog output needs to reach a local Unix datagram socket (/dev/log): a sender per
 * path, handed in by whoever builds the outputs (main.ts passes ffi/unix_datagram.ts's). Deno
 * has no stable Unix datagram API, so the sender needs FFI, which core/ never loads: tests drive
 * the outputs without it, and a unix:// address without a sender is one clear error.
 */

/** Sends datagrams to one Unix socket path. */
export interface DatagramSender {
  readonly path: string;
  /**
   * Sends one datagram without waiting; throws when the kernel refuses it. An error with
   * `tooLarge: true` means this datagram can never go (EMSGSIZE), so it is not retried.
   */
  send(data: Uint8Array<ArrayBuffer>): void;
  /** Closes the socket; a later send opens a new one. */
  close(): void;
}

/** Makes the sender of one socket path (e.g. `(path) => new UnixDatagramSender(path)`). */
export type DatagramSenderFactory = (path: string) => DatagramSender;

/** True when `error` says the datagram can never fit (a DatagramSender's `tooLarge`). */
export function isTooLarge(error: unknown): boolean {
  return typeof error === "object" && error !== null &&
    (error as { tooLarge?: unknown }).tooLarge === true;
}
