/**
 * @module exec_output
 * Records to a command, FastNetMon's notify script done safely: the argv is run directly (no
 * shell, so nothing in a record can become a command), the record's line on stdin, stdout and
 * stderr discarded. Each run is bounded in time (killed past timeout_s) and the queue bounds
 * how many run at once; a run that fails (exit status, signal, timeout, cannot start) counts as
 * failed and is not repeated, since a hook may not be safe to run twice.
 */
import { type Delivery, SendError } from "./output_queue.ts";

const encoder = new TextEncoder();

/** The command and its limit. */
export interface ExecTarget {
  command: readonly string[];
  timeoutMs: number;
}

/** Runs the command once per line. */
export class ExecDelivery implements Delivery {
  readonly #target: ExecTarget;
  readonly #running = new Set<Deno.ChildProcess>();

  constructor(target: ExecTarget) {
    this.#target = target;
  }

  async send(line: string): Promise<void> {
    const [program, ...args] = this.#target.command;
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(program!, {
        args,
        stdin: "piped",
        stdout: "null",
        stderr: "null",
      }).spawn();
    } catch (error) {
      throw new SendError(`cannot run ${program}: ${(error as Error).message}`, false);
    }
    this.#running.add(child);
    const timer = setTimeout(() => kill(child), this.#target.timeoutMs);
    try {
      await writeStdin(child, line);
      const status = await child.status;
      if (status.success) return;
      const how = status.signal !== null
        ? `was killed by ${status.signal}${timedOut(status) ? " (outputs.exec.timeout_s)" : ""}`
        : `exited with status ${status.code}`;
      throw new SendError(`${program} ${how}`, false);
    } finally {
      clearTimeout(timer);
      this.#running.delete(child);
    }
  }

  reset(): void {}

  close(): void {
    for (const child of this.#running) kill(child);
  }
}

function timedOut(status: Deno.CommandStatus): boolean {
  return status.signal === "SIGKILL";
}

function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
}

/** Writes the line and a newline; a command that does not read its stdin is not an error. */
async function writeStdin(child: Deno.ChildProcess, line: string): Promise<void> {
  const writer = child.stdin.getWriter();
  try {
    await writer.write(encoder.encode(line + "\n"));
    await writer.close();
  } catch { /* the command exited without reading: its status says how it went */ }
}
