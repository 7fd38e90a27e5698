/**
 * @module output_servers
 * The real servers the outputs' tests send to, each started by the test on 127.0.0.1 in a temp
 * directory and stopped by `await using`: redis-server, rsyslogd (imudp, imtcp and imuxsock on a
 * socket of its own, writing each message to a file), and a port nobody listens on.
 */
import dgram from "node:dgram";

const decoder = new TextDecoder();

/** A free TCP port on 127.0.0.1 (bound, then released). */
export function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A free UDP port on 127.0.0.1 (bound, then released). */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** Waits until `ready()` is true, every 50 ms, for at most `ms`; throws `what` otherwise. */
export async function waitFor(what: string, ready: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function connects(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** A running redis-server. */
export interface RedisServer extends AsyncDisposable {
  port: number;
  /** Runs redis-cli with `args` against it; resolves to its stdout. */
  cli(...args: string[]): Promise<string>;
  /** Starts `redis-cli --raw SUBSCRIBE channel`; `messages()` are what it received so far. */
  subscribe(channel: string): Promise<{ messages(): string[]; stop(): Promise<void> }>;
}

/** Starts redis-server on `port` (default a free one) of 127.0.0.1, persisting nothing. */
export async function startRedis(directory: string, port = freeTcpPort()): Promise<RedisServer> {
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    cwd: directory,
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitFor("redis-server", () => connects(port));
  const cli = async (...args: string[]) => {
    const out = await new Deno.Command("redis-cli", {
      args: ["-h", "127.0.0.1", "-p", String(port), ...args],
      stdout: "piped",
      stderr: "null",
    }).output();
    return decoder.decode(out.stdout);
  };
  await waitFor("redis-server PONG", async () => (await cli("PING")).trim() === "PONG");
  return {
    port,
    cli,
    async subscribe(channel) {
      const sub = new Deno.Command("redis-cli", {
        args: ["-h", "127.0.0.1", "-p", String(port), "--raw", "SUBSCRIBE", channel],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      let text = "";
      const reading = (async () => {
        for await (const chunk of sub.stdout) text += decoder.decode(chunk, { stream: true });
      })();
      await waitFor("the subscription", async () => {
        const n = (await cli("PUBSUB", "NUMSUB", channel)).trim().split("\n")[1];
        return n === "1";
      });
      return {
        // --raw prints each message as three lines: "message", the channel, the payload.
        messages: () => {
          const lines = text.split("\n");
          const out: string[] = [];
          for (let i = 0; i + 2 < lines.length; i++) {
            if (lines[i] === "message" && lines[i + 1] === channel) out.push(lines[i + 2]!);
          }
          return out;
        },
        async stop() {
          sub.kill("SIGTERM");
          await sub.status;
          await reading;
        },
      };
    },
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** A running rsyslogd that writes every message it receives to `file`, one per line. */
export interface SyslogServer extends AsyncDisposable {
  udpPort: number;
  tcpPort: number;
  socketPath: string;
  /** Where messages go: "FACILITY SEVERITY APP MSGID|MSG" per line. */
  file: string;
  /** The messages received so far, as lines of the file. */
  lines(): Promise<string[]>;
}

/** Starts rsyslogd in the foreground with its own config, pid file and work directory. */
export async function startRsyslog(directory: string): Promise<SyslogServer> {
  const udpPort = await freeUdpPort();
  const tcpPort = freeTcpPort();
  const socketPath = `${directory}/log.sock`;
  const file = `${directory}/messages`;
  const config = `${directory}/rsyslog.conf`;
  await Deno.writeTextFile(
    config,
    `global(workDirectory="${directory}" maxMessageSize="256k")
module(load="imudp")
module(load="imtcp" maxFrameSize="262144")
module(load="imuxsock" SysSock.Use="off")
input(type="imudp" address="127.0.0.1" port="${udpPort}")
input(type="imtcp" address="127.0.0.1" port="${tcpPort}")
input(type="imuxsock" Socket="${socketPath}" useSpecialParser="off" ratelimit.interval="0")
template(name="line" type="string"
  string="%syslogfacility-text% %syslogseverity-text% %app-name% %msgid%|%msg%\\n")
action(type="omfile" file="${file}" template="line")
`,
  );
  const child = new Deno.Command("rsyslogd", {
    args: ["-n", "-f", config, "-i", `${directory}/rsyslogd.pid`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const lines = async () => {
    try {
      return (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "");
    } catch {
      return [];
    }
  };
  await waitFor("rsyslogd's TCP input", () => connects(tcpPort));
  // UDP and the socket have no handshake: wait until a probe through each is written.
  const udp = dgram.createSocket("udp4");
  try {
    await waitFor("rsyslogd's UDP input", async () => {
      udp.send("<14>1 - - probe - - - probe-udp", udpPort, "127.0.0.1");
      return (await lines()).some((l) => l.endsWith("probe-udp"));
    });
  } finally {
    udp.close();
  }
  await waitFor("rsyslogd's socket", async () => {
    try {
      await Deno.lstat(socketPath);
      return true;
    } catch {
      return false;
    }
  });
  return {
    udpPort,
    tcpPort,
    socketPath,
    file,
    lines,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
