/**
 * @module process
 * Commands for tests and benchmarks, bounded in time: `runCommand` (or in a network namespace,
 * `runInNamespace`), and `BackgroundProcess` for long-running ones (`spawnInNamespace`).
 */

export interface ExecOptions {
  /** Upper bound on the command's run time; it is sent SIGTERM, then SIGKILL 3 s later. */
  readonly timeoutS?: number;
  /** Return a failing result instead of throwing. */
  readonly allowFailure?: boolean;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const DEFAULT_EXEC_TIMEOUT_S = 30;
const DEFAULT_BACKGROUND_TIMEOUT_S = 600;
const KILL_AFTER_S = 3;

/** Runs a command without a namespace (configuration with `ip`, reading captures). */
export async function runCommand(
  argv: readonly string[],
  options: ExecOptions = {},
): Promise<CommandResult> {
  const timeoutS = options.timeoutS ?? DEFAULT_EXEC_TIMEOUT_S;
  const bounded = ["timeout", `--kill-after=${KILL_AFTER_S}`, String(timeoutS), ...argv];
  const output = await new Deno.Command(bounded[0], {
    args: bounded.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: environmentWithoutProxies(),
  }).output();
  const result = {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
  if (result.code !== 0 && !options.allowFailure) {
    throw new Error(`${argv.join(" ")} exited with ${describeExit(result.code)}: ${result.stderr}`);
  }
  return result;
}

/** Runs a command inside a namespace, bounded in time. */
export function runInNamespace(
  ns: string,
  argv: readonly string[],
  options: ExecOptions = {},
): Promise<CommandResult> {
  return runCommand(["ip", "netns", "exec", ns, ...argv], options);
}

/**
 * Starts a long-running command inside a namespace. It is still bounded by `timeoutS` (default
 * 600 s) so that a crashed test cannot leave it running for ever.
 */
export function spawnInNamespace(
  ns: string,
  argv: readonly string[],
  options: { timeoutS?: number } = {},
): BackgroundProcess {
  const timeoutS = options.timeoutS ?? DEFAULT_BACKGROUND_TIMEOUT_S;
  // `ip netns exec` execs into `timeout`, which forwards our signals to the command.
  return BackgroundProcess.start(
    [
      "ip",
      "netns",
      "exec",
      ns,
      "timeout",
      `--kill-after=${KILL_AFTER_S}`,
      String(timeoutS),
      ...argv,
    ],
    `${argv.join(" ")} (in ${ns})`,
  );
}

/** A child process whose output is drained line by line so it never blocks on a full pipe. */
export class BackgroundProcess implements AsyncDisposable {
  static readonly #KEPT_LINES = 200;

  readonly description: string;
  #child: Deno.ChildProcess;
  #recentLines: string[] = [];
  #lineListeners = new Set<(line: string) => void>();
  #exitListeners = new Set<() => void>();
  #hasExited = false;
  #finished: Promise<Deno.CommandStatus>;

  private constructor(child: Deno.ChildProcess, description: string) {
    this.#child = child;
    this.description = description;
    const drained = Promise.all([this.#drain(child.stdout), this.#drain(child.stderr)]);
    this.#finished = Promise.all([child.status, drained]).then(([status]) => {
      this.#hasExited = true;
      for (const listener of this.#exitListeners) listener();
      return status;
    });
  }

  static start(argv: readonly string[], description: string): BackgroundProcess {
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: environmentWithoutProxies(),
    }).spawn();
    return new BackgroundProcess(child, description);
  }

  get pid(): number {
    return this.#child.pid;
  }

  get hasExited(): boolean {
    return this.#hasExited;
  }

  /** The last lines of stdout and stderr, interleaved as they arrived. */
  get recentOutput(): string {
    return this.#recentLines.join("\n");
  }

  /** Resolves once the process has exited and its output has been read to the end. */
  get finished(): Promise<Deno.CommandStatus> {
    return this.#finished;
  }

  /** Waits for an output line matching `pattern`; fails if the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.#recentLines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        this.#lineListeners.delete(onLine);
        this.#exitListeners.delete(onExit);
        outcome();
      };
      const onLine = (line: string) => {
        if (pattern.test(line)) finish(() => resolve(line));
      };
      const onExit = () => finish(() => reject(this.#failure(`exited before printing ${pattern}`)));
      const timer = setTimeout(
        () => finish(() => reject(this.#failure(`printed no ${pattern} in ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.#lineListeners.add(onLine);
      this.#exitListeners.add(onExit);
      if (this.#hasExited) onExit();
    });
  }

  /** Sends `signal`, then SIGKILL if the process is still running after `graceMs`. */
  async stop(signal: Deno.Signal = "SIGTERM", graceMs = 5000): Promise<Deno.CommandStatus> {
    if (this.#hasExited) return await this.#finished;
    this.#signal(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), graceMs);
    });
    const outcome = await Promise.race([this.#finished, gaveUp]);
    clearTimeout(timer);
    if (outcome === "timeout") this.#signal("SIGKILL");
    return await this.#finished;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // It exited between our check and the signal: nothing to stop.
    }
  }

  #failure(what: string): Error {
    return new Error(`${this.description} ${what}; last output:\n${this.recentOutput}`);
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) this.#keepLine(line);
    }
    if (partial !== "") this.#keepLine(partial);
  }

  #keepLine(line: string): void {
    this.#recentLines.push(line);
    if (this.#recentLines.length > BackgroundProcess.#KEPT_LINES) this.#recentLines.shift();
    for (const listener of this.#lineListeners) listener(line);
  }
}

/** Path of `tool` on PATH, or null. */
export async function findOnPath(tool: string): Promise<string | null> {
  for (const directory of (Deno.env.get("PATH") ?? "").split(":")) {
    if (directory !== "" && await pathExists(`${directory}/${tool}`)) return `${directory}/${tool}`;
  }
  return null;
}

/** True if something exists at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Our environment minus proxy settings: a proxy would send test requests elsewhere. */
function environmentWithoutProxies(): Record<string, string> {
  const environment = Deno.env.toObject();
  for (const name of Object.keys(environment)) {
    if (/_proxy$/i.test(name)) delete environment[name];
  }
  return environment;
}

function describeExit(code: number): string {
  return code === 124 ? "124 (timed out)" : String(code);
}
