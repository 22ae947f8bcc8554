/**
 * The Docker engine through its own CLI (`docker`, talking to DOCKER_HOST): the few commands the runner
 * needs. The CLI gets a clean environment: the engine's address, PATH, and the variables a container is
 * given by name (`-e NAME`, so their values never appear on a command line).
 */
import { execFile } from "node:child_process";

export class DockerError extends Error {}

export interface DockerOptions {
  /** The engine (DOCKER_HOST); the CLI's default socket when absent. */
  host?: string;
  /** The CLI to run. */
  bin?: string;
}

export interface RunSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  /** The container port published on 127.0.0.1, at a port the engine picks. */
  port: number;
  memory?: string;
}

const DOCKER_TIMEOUT_MS = 120_000;

export class Docker {
  readonly #options: DockerOptions;

  constructor(options: DockerOptions = {}) {
    this.#options = options;
  }

  /** Runs one CLI command; its stdout, trimmed. A failure carries the CLI's own message. */
  run(args: string[], env: Record<string, string> = {}): Promise<string> {
    const cliEnv: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      ...env,
    };
    if (this.#options.host) cliEnv.DOCKER_HOST = this.#options.host;
    return new Promise((resolve, reject) => {
      execFile(
        this.#options.bin ?? "docker",
        args,
        { env: cliEnv, timeout: DOCKER_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error)
            reject(new DockerError((stderr.trim() || error.message).split("\n").slice(-3).join(" ")));
          else resolve(stdout.trim());
        },
      );
    });
  }

  async version(): Promise<string> {
    return this.run(["version", "--format", "{{.Server.Version}}"]);
  }

  /** Starts a detached container; its id. */
  async start(spec: RunSpec): Promise<string> {
    // Never pulled: the image is built here (a missing one is a failure to start, with the engine's reason).
    const args = [
      "run",
      "--detach",
      "--pull",
      "never",
      "--name",
      spec.name,
      "--publish",
      `127.0.0.1::${spec.port}`,
    ];
    for (const [key, value] of Object.entries(spec.labels)) args.push("--label", `${key}=${value}`);
    for (const name of Object.keys(spec.env)) args.push("--env", name);
    if (spec.memory) args.push("--memory", spec.memory);
    args.push(spec.image);
    return this.run(args, spec.env);
  }

  /** The host port (on 127.0.0.1) the container's `port` is published at. */
  async hostPort(container: string, port: number): Promise<number> {
    const mapping = await this.run(["port", container, `${port}/tcp`]);
    const match = /127\.0\.0\.1:(\d+)/.exec(mapping);
    if (!match)
      throw new DockerError(
        `port ${port} of ${container} is not published on 127.0.0.1 (${mapping || "nothing"})`,
      );
    return Number(match[1]);
  }

  async running(container: string): Promise<boolean> {
    try {
      return (await this.run(["inspect", "--format", "{{.State.Running}}", container])) === "true";
    } catch {
      return false;
    }
  }

  /** The end of a container's output, for a start that failed ("" when there is none). */
  logsTail(container: string, lines: number): Promise<string> {
    return new Promise((resolve) => {
      const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin" };
      if (this.#options.host) env.DOCKER_HOST = this.#options.host;
      execFile(
        this.#options.bin ?? "docker",
        ["logs", "--tail", String(lines), container],
        { env },
        (_error, stdout, stderr) => resolve(`${stdout}${stderr}`.trim()),
      );
    });
  }

  /** Stops (SIGTERM, then SIGKILL after `graceSeconds`) and removes a container; one that is gone is fine. */
  async stop(container: string, graceSeconds: number): Promise<void> {
    await this.run(["stop", "--time", String(graceSeconds), container]).catch(ignoreMissing);
    await this.remove(container);
  }

  /** Kills and removes a container; one that is gone is fine. */
  async remove(container: string): Promise<void> {
    await this.run(["rm", "--force", container]).catch(ignoreMissing);
  }

  /** The ids of the containers (running or not) carrying every label given. */
  async withLabels(labels: Record<string, string>): Promise<string[]> {
    const filters = Object.entries(labels).flatMap(([key, value]) => ["--filter", `label=${key}=${value}`]);
    const out = await this.run(["ps", "--all", "--quiet", "--no-trunc", ...filters]);
    return out ? out.split("\n") : [];
  }
}

function ignoreMissing(error: unknown): void {
  if (error instanceof DockerError && /No such container/i.test(error.message)) return;
  throw error;
}
