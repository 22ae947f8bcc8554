/** Running git for the session's repositories: its output, or a GitError carrying git's own message. */
import { spawn } from "node:child_process";

export class GitError extends Error {}

/**
 * Settings no repository gets to make for the host's git: the repositories are the agent's to write, and a
 * program their config names would run as the host. On every call; git-isolation.ts keeps the repository's
 * config out altogether.
 */
const HARDENED_CONFIG: [string, string][] = [
  ["core.hooksPath", "/dev/null"],
  ["core.fsmonitor", "false"],
  ["core.askPass", ""],
  ["core.sshCommand", "ssh"],
  ["commit.gpgSign", "false"],
  ["tag.gpgSign", "false"],
  ["diff.ignoreSubmodules", "all"],
  ["submodule.recurse", "false"],
];

/** No system or global git configuration either, and never a prompt. */
export const HARDENED_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
};

/** Runs git in `cwd`, hardened (above); stdout up to `maxBytes` (the rest is read and dropped, and `truncated` says so). */
export function git(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; maxBytes?: number; timeoutMs?: number },
): Promise<{ stdout: string; truncated: boolean }> {
  const max = options.maxBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const hardened = HARDENED_CONFIG.flatMap(([key, value]) => ["-c", `${key}=${value}`]);
    const child = spawn("git", [...hardened, ...args], {
      cwd: options.cwd,
      env: { ...options.env, ...HARDENED_ENV },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.stdout.on("data", (chunk: Buffer) => {
      if (size >= max) return void (truncated = true);
      const room = max - size;
      if (chunk.length > room) truncated = true;
      out.push(chunk.subarray(0, room));
      size += Math.min(chunk.length, room);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 8000) stderr += chunk.toString("utf8");
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new GitError(error.message));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout: Buffer.concat(out).toString("utf8"), truncated });
      reject(new GitError(stderr.trim() || `git ${args[0]} ended with ${signal ?? `code ${code}`}`));
    });
  });
}

/** The last output line of a git command that must succeed. */
export async function gitLine(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return (await git(args, { cwd, env })).stdout.trim();
}
