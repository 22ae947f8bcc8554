/**
 * A process a test starts: in its own process group (stopping it stops what it started beneath it), its
 * output kept for the error that explains why it did not come up.
 */
import { type ChildProcess, spawn } from "node:child_process";

export class Proc {
  readonly log: string[] = [];
  readonly child: ChildProcess;
  readonly name: string;

  constructor(
    name: string,
    command: string,
    args: string[],
    options: { cwd: string; env?: Record<string, string>; verbose?: boolean },
  ) {
    this.name = name;
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const keep = (chunk: Buffer) => {
      this.log.push(chunk.toString());
      if (this.log.length > 300) this.log.splice(0, 100);
      if (options.verbose) process.stderr.write(`[${name}] ${chunk}`);
    };
    this.child.stdout?.on("data", keep);
    this.child.stderr?.on("data", keep);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stops the process group: `signal` first, SIGKILL after 5 s. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-this.child.pid!, sig);
      } catch {
        // already gone
      }
    };
    kill(signal);
    const timer = setTimeout(() => kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }

  tail(): string {
    return `[${this.name}] ${this.log.join("").slice(-3000)}`;
  }
}

/** Resolves once `url` answers below 500; fails as soon as one of `procs` exits, or when the time runs out. */
export async function waitUntilUp(url: string, procs: Proc[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const proc of procs)
      if (!proc.running) throw new Error(`${proc.name} exited (${proc.child.exitCode}):\n${proc.tail()}`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${procs.map((p) => p.tail()).join("\n")}`);
}
