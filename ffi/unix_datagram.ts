/**
 * @module unix_datagram
 * Sends datagrams to a Unix socket (the local syslog's /dev/log) through libc: Deno's own
 * Unix datagram API is unstable (--unstable-net), and node:dgram has no Unix sockets. The socket
 * is non-blocking, so a full receiver answers EAGAIN at once rather than stalling the caller.
 */

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
/** sizeof(struct sockaddr_un): sa_family_t (2 bytes) and a 108-byte path. */
const SOCKADDR_UN_SIZE = 110;

/** errno values (Linux) a caller may want to tell apart. */
export const ERRNO = { EAGAIN: 11, EMSGSIZE: 90, ENOBUFS: 105 } as const;

type Libc = Deno.DynamicLibrary<{
  // int socket(int domain, int type, int protocol)
  socket: { parameters: ["i32", "i32", "i32"]; result: "i32" };
  // ssize_t sendto(int fd, const void *buf, size_t len, int flags,
  //                const struct sockaddr *addr, socklen_t addrlen)
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"]; result: "isize" };
  // int close(int fd)
  close: { parameters: ["i32"]; result: "i32" };
  // int *__errno_location(void)
  __errno_location: { parameters: []; result: "pointer" };
}>;

let libc: Libc | undefined;

function loadLibc(): Libc {
  libc ??= Deno.dlopen("libc.so.6", {
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
    close: { parameters: ["i32"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
  });
  return libc;
}

/** A send that failed, with its errno. */
export class UnixDatagramError extends Error {
  constructor(message: string, readonly errno: number) {
    super(message);
    this.name = "UnixDatagramError";
  }

  /** True when this datagram can never go (EMSGSIZE): core/outputs/ does not retry it. */
  get tooLarge(): boolean {
    return this.errno === ERRNO.EMSGSIZE;
  }
}

/**
 * An unbound, non-blocking Unix datagram socket that sends to one path: the DatagramSender
 * (core/outputs/datagram_sender.ts) main.ts hands to the syslog output for unix:// addresses.
 */
export class UnixDatagramSender {
  readonly path: string;
  readonly #address: Uint8Array<ArrayBuffer>;
  #fd = -1;

  constructor(path: string) {
    const bytes = new TextEncoder().encode(path);
    if (bytes.length >= SOCKADDR_UN_SIZE - 2) {
      throw new RangeError(`Socket path "${path}" is too long (at most 107 bytes)`);
    }
    this.path = path;
    this.#address = new Uint8Array(SOCKADDR_UN_SIZE);
    new DataView(this.#address.buffer).setUint16(0, AF_UNIX, true);
    this.#address.set(bytes, 2);
  }

  /** Sends one datagram; throws UnixDatagramError (with errno) when the kernel refuses it. */
  send(data: Uint8Array<ArrayBuffer>): void {
    const lib = loadLibc();
    if (this.#fd < 0) {
      this.#fd = lib.symbols.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (this.#fd < 0) throw this.#error(lib, "socket");
    }
    const sent = lib.symbols.sendto(this.#fd, data, BigInt(data.length), 0, this.#address, 110);
    if (Number(sent) < 0) throw this.#error(lib, "sendto");
  }

  /** Closes the socket (a later send opens a new one). */
  close(): void {
    if (this.#fd >= 0) loadLibc().symbols.close(this.#fd);
    this.#fd = -1;
  }

  #error(lib: Libc, call: string): UnixDatagramError {
    const pointer = lib.symbols.__errno_location();
    const errno = pointer === null ? 0 : new Deno.UnsafePointerView(pointer).getInt32();
    return new UnixDatagramError(`${call} to ${this.path} failed (errno ${errno})`, errno);
  }
}
