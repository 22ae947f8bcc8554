/**
 * Claude Code's process and everything it starts, contained so that Stop and Delete leave nothing behind.
 * Where the platform allows it the CLI runs as the first process of a PID namespace of its own
 * (`unshare --pid --fork --kill-child`, or with a user namespace when the host is not root): when it dies,
 * the kernel kills every process of the namespace, including one that left the process group with `setsid`,
 * cleared its environment or daemonized. Where no namespace can be made but the host runs alone in its
 * container (one session per container: the host is PID 1, or `AGENT_CONTAINMENT=container` says so under
 * an init such as tini), a kill takes every process there but the host, its ancestors and PID 1. Elsewhere the CLI leads a process group of its own and a stop
 * kills the group, every descendant found under /proc, and every process that still carries the session's tag.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import type { SpawnOptions, SpawnedProcess } from "@anthropic-ai/claude-agent-sdk";

/** How the session's processes are held together (probed once per host). */
export const CONTAINMENTS = ["pid-namespace", "user-pid-namespace", "container", "process-group"] as const;
export type Containment = (typeof CONTAINMENTS)[number];

/** `setpriv --pdeathsig`: the CLI (or unshare) is killed when the host dies, not left running on its own. */
const ORPHAN_KILL = ["setpriv", "--pdeathsig", "KILL", "--"];

/** In the environment of the CLI and so of every process it starts: how strays are found without a namespace. */
export const SESSION_TAG_ENV = "TANDEM_SESSION_TAG";

const NAMESPACE_FLAGS: Record<"pid-namespace" | "user-pid-namespace", string[]> = {
  "pid-namespace": ["--pid", "--fork", "--kill-child"],
  "user-pid-namespace": ["--user", "--map-root-user", "--pid", "--fork", "--kill-child"],
};

function succeeds(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => execFile(command, args, { timeout: 5000 }, (error) => resolve(!error)));
}

let probed: Promise<Containment> | null = null;
let orphanKill: Promise<boolean> | null = null;

/** Whether `setpriv --pdeathsig` works here (util-linux, Linux). */
export function probeOrphanKill(): Promise<boolean> {
  orphanKill ??=
    process.platform === "linux"
      ? succeeds(ORPHAN_KILL[0], [...ORPHAN_KILL.slice(1), "true"])
      : Promise.resolve(false);
  return orphanKill;
}

/** The strongest containment this machine grants: a PID namespace (as root, or in a user namespace), else a process group. */
export function probeContainment(): Promise<Containment> {
  probed ??= (async () => {
    if (process.platform !== "linux") return "process-group";
    for (const kind of ["pid-namespace", "user-pid-namespace"] as const) {
      if (await succeeds("unshare", [...NAMESPACE_FLAGS[kind], "true"])) return kind;
    }
    // A container whose first process is the host: everything else in it is the session's.
    return process.pid === 1 ? "container" : "process-group";
  })();
  return probed;
}

/** The user the CLI runs as, when the host (root) runs it as another (the container's non-root user). */
export interface RunAs {
  uid: number;
  gid: number;
}

export interface LaunchOptions {
  containment: Containment;
  /** Whether the launch is wrapped so the kernel kills it when the host dies. */
  orphanKill: boolean;
  /** Put into the CLI's environment; the process-group fallback kills by it. */
  tag: string;
  runAs?: RunAs;
}

/** One launched CLI: the process the SDK talks to, and a kill that takes everything it started. */
export class ContainedProcess {
  readonly child: ChildProcess;
  readonly #options: LaunchOptions;
  #killed: Promise<void> | null = null;

  private constructor(child: ChildProcess, options: LaunchOptions) {
    this.child = child;
    this.#options = options;
  }

  /** Starts the CLI as `spawnClaudeCodeProcess` asks, inside the containment. */
  static launch(spawnOptions: SpawnOptions, options: LaunchOptions): ContainedProcess {
    const env = { ...spawnOptions.env, [SESSION_TAG_ENV]: options.tag };
    const dropUser = options.runAs
      ? ["setpriv", `--reuid=${options.runAs.uid}`, `--regid=${options.runAs.gid}`, "--clear-groups", "--"]
      : [];
    const command = [...dropUser, spawnOptions.command, ...spawnOptions.args];
    const { containment } = options;
    const contained =
      containment === "pid-namespace" || containment === "user-pid-namespace"
        ? ["unshare", ...NAMESPACE_FLAGS[containment], "--", ...command]
        : command;
    const argv = options.orphanKill ? [...ORPHAN_KILL, ...contained] : contained;
    // detached: the CLI (or unshare) leads a process group of its own, which a kill takes whole.
    const child = spawn(argv[0], argv.slice(1), {
      cwd: spawnOptions.cwd,
      env,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new ContainedProcess(child, options);
  }

  /** The process as the SDK drives it (its stdin and stdout are pipes). */
  get spawned(): SpawnedProcess {
    const { stdin, stdout } = this.child;
    if (!stdin || !stdout) throw new Error("Claude Code was started without pipes");
    return Object.assign(this.child, { stdin, stdout });
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Kills the CLI and every process of the session; settles once none is left. Safe to call again. */
  kill(): Promise<void> {
    this.#killed ??= this.#kill();
    return this.#killed;
  }

  async #kill(): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined) return;
    // Found before the kill: once the leader dies, its descendants are re-parented and harder to find.
    const tree = await descendants(pid);
    signalGroup(pid);
    for (const stray of tree) signal(stray);
    if (this.#options.containment === "container") await killAllButSelf();
    if (this.#options.containment === "process-group") await killTagged(this.#options.tag);
    // In a namespace the first process inside is the last to go: the kernel reaps the others first.
    await Promise.all([this.#exit(), ...tree.map((stray) => gone(stray))]);
  }

  #exit(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => this.child.once("exit", () => resolve()));
  }
}

function signal(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
}

function signalGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL"); // negative: the whole process group
  } catch {
    // gone already
  }
}

/** The parent and state of a process from /proc/<pid>/stat; null once it is gone. */
async function statOf(pid: number): Promise<{ ppid: number; state: string } | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (!stat) return null;
  const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(ppid), state };
}

async function processIds(): Promise<number[]> {
  const entries = await readdir("/proc").catch((): string[] => []);
  return entries.filter((entry) => /^\d+$/.test(entry)).map(Number);
}

/** Every live descendant of `root` (Linux; elsewhere none are found and the process group is all there is). */
async function descendants(root: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const pid of await processIds()) {
    const stat = await statOf(pid);
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

/** Resolves once `pid` has exited (gone, or a zombie waiting to be reaped), or after a second. */
async function gone(pid: number): Promise<void> {
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline) {
    const stat = await statOf(pid);
    if (!stat || stat.state === "Z" || stat.state === "X") return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The host alone in its container: every process there but the host, its ancestors and PID 1 is the session's. */
async function killAllButSelf(): Promise<void> {
  const spared = new Set([1, process.pid]);
  for (let pid = process.ppid; pid > 1 && !spared.has(pid); pid = (await statOf(pid))?.ppid ?? 1)
    spared.add(pid);
  for (const wait of SWEEP_PASSES_MS) {
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    for (const pid of await processIds()) if (!spared.has(pid)) signal(pid);
  }
}

/** When the passes over /proc run: a process caught mid-exec shows an empty environment for a moment. */
const SWEEP_PASSES_MS = [0, 25, 100];

/** Kills every process of ours whose environment still carries the session's tag. */
async function killTagged(tag: string): Promise<void> {
  const marker = `${SESSION_TAG_ENV}=${tag}`;
  for (const wait of SWEEP_PASSES_MS) {
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await Promise.all(
      (await processIds())
        .filter((pid) => pid !== process.pid)
        .map(async (pid) => {
          // Other users' processes are unreadable: they were never ours.
          const environ = await readFile(`/proc/${pid}/environ`, "latin1").catch(() => "");
          if (environ.split("\0").includes(marker)) signal(pid);
        }),
    );
  }
}
