/**
 * A new run's environment, after the clone and before Claude Code starts: the saved environment restored
 * when the room has one for this run's key (a warm start), else the setup steps run one after another and
 * the workspace they leave archived for the next session with the same key.
 */
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { Environment } from "@tandem/protocol/environment";
import type { Repo } from "@tandem/protocol/session-config";
import { WorkspaceArchive } from "./archive";
import { chownTree } from "./claude/state";
import type { LaunchOptions } from "./claude/process";
import type { OutFrame } from "./outbox";
import { SetupRun, environmentKey, setupSteps } from "./setup";

export type SetupOutcome = { kind: "ready" } | { kind: "stopped" } | { kind: "failed"; message: string };

/** How long the agent waits for the room's answer to its key before it runs the setup itself. */
const ROOM_ANSWER_MS = 30_000;

export interface EnvironmentOptions {
  workspace: string;
  repos: readonly Repo[];
  dirs: readonly string[];
  environment: Environment | undefined;
  /** The steps' environment: the session's agent secrets and the workspace's variables. */
  env: NodeJS.ProcessEnv;
  launch: LaunchOptions;
  /** Where the environment's archive is made, outside the workspace. */
  archiveFile: string;
  archiveMaxBytes: number;
  send(frame: OutFrame): void;
}

export class EnvironmentSetup {
  readonly archive: WorkspaceArchive;
  readonly #options: EnvironmentOptions;
  #run: SetupRun | null = null;
  #stopped = false;
  /** Settles the wait for the room: with the extraction of a saved environment, or false (none: run the setup). */
  #answer: ((restored: Promise<boolean> | false) => void) | null = null;

  constructor(options: EnvironmentOptions) {
    this.#options = options;
    this.archive = new WorkspaceArchive({
      workspace: options.workspace,
      file: options.archiveFile,
      maxBytes: options.archiveMaxBytes,
    });
  }

  /** Whether the agent waits for the room's answer to its key. */
  get waiting(): boolean {
    return this.#answer !== null;
  }

  async run(): Promise<SetupOutcome> {
    const { workspace, repos, dirs, environment, send } = this.#options;
    const steps = await setupSteps(workspace, dirs, environment);
    if (steps.length === 0) return { kind: "ready" };
    if (this.#stopped) return { kind: "stopped" };
    const key = await environmentKey(workspace, repos, dirs, environment, steps);
    const saved = await this.#askRoom(key);
    if (this.#stopped) return { kind: "stopped" };
    if (saved) {
      const id = `setup-${randomUUID()}`;
      send({ type: "setup_start", id, source: "environment" });
      send({
        type: "setup_output",
        id,
        text: "environment restored: the workspace as the last successful setup left it for these scripts, variables and commits\n",
      });
      send({ type: "setup_end", id, status: "restored", exitCode: null });
      return { kind: "ready" };
    }
    for (const step of steps) {
      const id = `setup-${randomUUID()}`;
      send({ type: "setup_start", id, source: step.source });
      this.#run = new SetupRun(step, this.#options.env, this.#options.launch, (text) =>
        send({ type: "setup_output", id, text }),
      );
      const result = await this.#run.result;
      await this.#run.cleanUp();
      this.#run = null;
      if (result.stopped || this.#stopped) {
        send({ type: "setup_end", id, status: "stopped", exitCode: result.exitCode });
        return { kind: "stopped" };
      }
      if (result.exitCode !== 0) {
        send({ type: "setup_end", id, status: "error", exitCode: result.exitCode });
        const how = result.exitCode === null ? "was killed" : `exited with ${result.exitCode}`;
        return { kind: "failed", message: `the ${step.source} ${how}:\n${result.tail}` };
      }
      send({ type: "setup_end", id, status: "done", exitCode: 0 });
    }
    // Kept for the next session with the same key; this session goes on whether or not it is kept.
    try {
      const { size, overLimit } = await this.archive.save();
      send({ type: "environment_archive", key, size, overLimit });
    } catch (error) {
      send({
        type: "notice",
        kind: "environment_not_saved",
        detail: `the environment was not archived: ${String(error)}`,
      });
    }
    return { kind: "ready" };
  }

  /** Says the key and waits for the room: the saved environment (extracted over the clone), or none. */
  async #askRoom(key: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const answered = await new Promise<Promise<boolean> | false>((resolve) => {
      this.#answer = resolve;
      timer = setTimeout(() => resolve(false), ROOM_ANSWER_MS);
      this.#options.send({ type: "environment_key", key });
    });
    clearTimeout(timer);
    this.#answer = null;
    // A bad archive throws: the session fails rather than run on a half-extracted workspace.
    if (!(await answered)) return false;
    if (this.#options.launch.runAs) await chownTree(this.#options.workspace, this.#options.launch.runAs);
    return true;
  }

  /** The room's answer: a saved environment's archive, or null for none. Settles once it is extracted. */
  async answer(body: Readable | null): Promise<boolean> {
    const answer = this.#answer;
    if (!answer) return false;
    this.#answer = null;
    if (!body) {
      answer(false);
      return true;
    }
    const restoring = this.archive.restore(body);
    answer(restoring.then(() => true));
    await restoring;
    return true;
  }

  /** A stop: the running step and everything it started are killed; a wait for the room ends. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#answer?.(false);
    await this.#run?.stop();
  }
}
