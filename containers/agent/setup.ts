/**
 * The workspace's environment in Creating: the setup steps (the workspace's script, then each repository's
 * own `.tandem/setup.sh` as cloned), the warm-start key they are kept under, and running one step with its
 * output streamed and its whole process tree killed on a stop. A step runs as Claude Code would: in the
 * session's containment, as its user, with the session's agent secrets and the workspace's variables.
 */
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { REPO_SETUP_FILE, SETUP_SCRIPT_MAX_BYTES, type Environment } from "@tandem/protocol/environment";
import type { Repo } from "@tandem/protocol/session-config";
import { ContainedProcess, type LaunchOptions } from "./claude/process";

export interface SetupStep {
  /** What the transcript calls it: "workspace setup script", or `<repo>/.tandem/setup.sh`. */
  source: string;
  script: string;
  cwd: string;
}

/** How many characters of the output end a failed setup's message (the session's Failed reason). */
const TAIL_CHARS = 1500;
/** Output is sent in whole lines, at most this often: few frames, and a line is never cut between two. */
const FLUSH_EVERY_MS = 100;
/** A frame's output at most (a `cat` of a large file prints megabytes in 100 ms); redaction spans frames. */
const MAX_CHUNK_CHARS = 16 * 1024;

/**
 * The steps, read right after the clone: a repository's own script is read from the commit cloned, before
 * the workspace's script runs (which could rewrite it).
 */
export async function setupSteps(
  workspace: string,
  dirs: readonly string[],
  environment: Environment | undefined,
): Promise<SetupStep[]> {
  const steps: SetupStep[] = [];
  if (environment?.setupScript.trim())
    steps.push({ source: "workspace setup script", script: environment.setupScript, cwd: workspace });
  for (const dir of dirs) {
    const cwd = path.join(workspace, dir);
    const script = await readFile(path.join(cwd, REPO_SETUP_FILE), "utf8").catch(() => null);
    if (script === null) continue;
    // Read as cloned, but a step is still bounded: bash takes it as one argument.
    if (Buffer.byteLength(script) > SETUP_SCRIPT_MAX_BYTES)
      steps.push({
        source: `${dir}/${REPO_SETUP_FILE}`,
        script: `echo "${dir}/${REPO_SETUP_FILE} is over ${SETUP_SCRIPT_MAX_BYTES / 1024} KB" >&2; exit 2`,
        cwd,
      });
    else steps.push({ source: `${dir}/${REPO_SETUP_FILE}`, script, cwd });
  }
  return steps;
}

function headCommit(dir: string): Promise<string> {
  return new Promise((resolve) =>
    execFile("git", ["-C", dir, "rev-parse", "HEAD"], (error, stdout) =>
      resolve(error ? "none" : stdout.trim()),
    ),
  );
}

/**
 * The warm start's key: the steps' scripts, the workspace's variables and each repository (URL, branch,
 * commit). The secrets are not in it: a changed token builds the same environment.
 */
export async function environmentKey(
  workspace: string,
  repos: readonly Repo[],
  dirs: readonly string[],
  environment: Environment | undefined,
  steps: readonly SetupStep[],
): Promise<string> {
  const commits = await Promise.all(dirs.map((dir) => headCommit(path.join(workspace, dir))));
  const material = {
    steps: steps.map(({ source, script }) => ({ source, script })),
    env: Object.entries(environment?.env ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)),
    repos: repos.map((repo, index) => ({
      url: repo.url,
      branch: repo.branch ?? null,
      dir: dirs[index],
      commit: commits[index],
    })),
  };
  return createHash("sha256").update(JSON.stringify(material)).digest("hex");
}

export interface StepResult {
  exitCode: number | null;
  /** Killed by a stop (or the session's end). */
  stopped: boolean;
  /** The output's last characters, for the failure's reason. */
  tail: string;
}

/** One step running: its output goes to `output` in whole lines; `stop()` kills everything it started. */
export class SetupRun {
  readonly #process: ContainedProcess;
  readonly result: Promise<StepResult>;
  #stopped = false;

  constructor(
    step: SetupStep,
    env: NodeJS.ProcessEnv,
    launch: LaunchOptions,
    output: (text: string) => void,
  ) {
    this.#process = ContainedProcess.launch(
      {
        command: "bash",
        args: ["--norc", "--noprofile", "-c", step.script, "tandem-setup"],
        cwd: step.cwd,
        env,
        signal: new AbortController().signal,
      },
      launch,
    );
    const child = this.#process.child;
    child.stdin?.end();
    let pending = "";
    let tail = "";
    let timer: NodeJS.Timeout | undefined;
    const flush = (all: boolean) => {
      clearTimeout(timer);
      timer = undefined;
      const cut = all ? pending.length : pending.lastIndexOf("\n") + 1;
      if (cut === 0) return;
      output(pending.slice(0, cut));
      pending = pending.slice(cut);
    };
    const take = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      pending += text;
      tail = (tail + text).slice(-TAIL_CHARS * 2);
      if (pending.length >= MAX_CHUNK_CHARS) flush(true);
      else timer ??= setTimeout(() => flush(false), FLUSH_EVERY_MS);
    };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    this.result = new Promise((resolve) => {
      child.on("error", (error) => {
        flush(true);
        resolve({
          exitCode: null,
          stopped: this.#stopped,
          tail: `the setup could not start: ${error.message}`,
        });
      });
      child.on("close", (code) => {
        flush(true);
        resolve({ exitCode: code, stopped: this.#stopped, tail: lastLines(tail) });
      });
    });
  }

  /** Kills the step and every process it started (the session's containment), as a stop kills Claude Code's. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#process.kill();
  }

  /** After a step ends: a daemon it left behind does not change the workspace after it is archived. */
  cleanUp(): Promise<void> {
    return this.#process.kill();
  }
}

function lastLines(text: string): string {
  const tail = text.trimEnd().slice(-TAIL_CHARS);
  const firstBreak = tail.indexOf("\n");
  return text.trimEnd().length > TAIL_CHARS && firstBreak >= 0 ? tail.slice(firstBreak + 1) : tail;
}
