/**
 * bash: one shell command per call, in the workspace, with a time limit and capped output. Each command
 * leads its own process group, killed when the command ends, times out, or the turn is stopped; so is
 * every process that left the group (setsid, a daemon) but still carries the command's tag.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { z } from "zod";
import { ToolError } from "./paths";
import { capOutput, defineTool } from "./types";

export const BASH_DEFAULT_TIMEOUT_S = 30;
export const BASH_MAX_TIMEOUT_S = 120;
export const BASH_MAX_OUTPUT = 30_000;

interface RunResult {
  output: string;
  exitCode: number | null;
  timedOut: boolean;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL"); // negative pid: the whole process group, so children die too
  } catch {
    // already gone
  }
}

/** In the environment of every process a command starts (children inherit it): how its strays are found. */
export const COMMAND_TAG_ENV = "TANDEM_COMMAND";

/**
 * Kills every process of ours whose environment carries `tag`: those that left the command's process
 * group with `setsid` or by daemonizing (a build daemon, an agent) keep it, and the session's secrets
 * with it. Linux only (/proc); elsewhere the process group is all there is. A process that clears its
 * own environment is not found.
 */
async function killTagged(tag: string): Promise<void> {
  // A process caught in the middle of exec shows an empty environment for a moment: look again shortly.
  for (const wait of SWEEP_PASSES_MS) {
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await sweep(tag);
  }
}

/** When the passes over /proc run, after the first: a stray missed by one is caught by the next. */
const SWEEP_PASSES_MS = [0, 25, 100];

async function sweep(tag: string): Promise<void> {
  const entries = await readdir("/proc").catch((): string[] => []);
  const marker = `${COMMAND_TAG_ENV}=${tag}`;
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
      .map(async (entry) => {
        // Other users' processes are unreadable: they were never ours.
        const environ = await readFile(`/proc/${entry}/environ`, "latin1").catch(() => "");
        if (!environ.split("\0").includes(marker)) return;
        try {
          process.kill(Number(entry), "SIGKILL");
        } catch {
          // gone already
        }
      }),
  );
}

export function runCommand(
  command: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; signal: AbortSignal; cut?: (head: string) => string },
): Promise<RunResult> {
  return new Promise((resolve) => {
    // detached: the command leads its own process group, which is what a timeout kills.
    const tag = randomUUID();
    const env = { ...options.env, [COMMAND_TAG_ENV]: tag };
    const child = spawn("bash", ["-c", command], { cwd: options.cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    /** The group, then the strays: settles once both are dead. */
    const killAll = () => {
      killGroup(child.pid);
      return killTagged(tag);
    };
    let output = "";
    let dropped = 0;
    let timedOut = false;
    let exitCode: number | null = null;
    let settled = false;
    const collect = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      const room = BASH_MAX_OUTPUT - output.length;
      if (room >= text.length) output += text;
      else {
        output += text.slice(0, Math.max(0, room));
        dropped += text.length - Math.max(0, room);
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const onAbort = () => void killAll();
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      void killAll();
    }, options.timeoutMs);
    let lingering: NodeJS.Timeout | undefined;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(lingering);
      options.signal.removeEventListener("abort", onAbort);
      if (dropped) output = `${options.cut ? options.cut(output) : output}\n… [output truncated: ${dropped} more characters]`;
      // Nothing the command started is left running when its result is given.
      void killAll().then(() => resolve({ output, exitCode, timedOut }));
    };
    child.on("error", (error) => {
      output += `failed to start bash: ${error.message}`;
      finish();
    });
    child.on("exit", (code) => {
      exitCode = code;
      // Nothing the command started outlives it (`sleep 1e6 &` included): its whole group goes with it,
      // and whatever left the group.
      void killAll();
      // A process that left the group (setsid) may still hold the pipes open; do not wait for it past a moment.
      lingering = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, 200);
    });
    child.on("close", finish);
  });
}

export const bashTool = defineTool({
  name: "bash",
  description: `Run a shell command with bash in the workspace directory. Output (stdout and stderr) is capped at ${BASH_MAX_OUTPUT} characters. The command is killed after timeout_seconds (default ${BASH_DEFAULT_TIMEOUT_S}, at most ${BASH_MAX_TIMEOUT_S}). No input is available on stdin.`,
  input: z.object({
    command: z.string().min(1).describe("the command line, run with bash -c"),
    timeout_seconds: z.number().int().min(1).max(BASH_MAX_TIMEOUT_S).optional(),
  }),
  async run(input, context) {
    const seconds = input.timeout_seconds ?? BASH_DEFAULT_TIMEOUT_S;
    const result = await runCommand(input.command, {
      cwd: context.workspace,
      env: context.env,
      timeoutMs: seconds * 1000,
      signal: context.signal,
      cut: context.cut,
    });
    const output = capOutput(result.output, BASH_MAX_OUTPUT + 100, context.cut);
    if (result.timedOut) throw new ToolError(`${output}\n[timed out after ${seconds} s: the command and its children were killed]`);
    if (result.exitCode !== 0) throw new ToolError(`${output}\n[exit code ${result.exitCode ?? "signal"}]`);
    return output || "(no output)";
  },
});
