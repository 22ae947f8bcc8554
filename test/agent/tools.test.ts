/** The tools against a temp workspace: behaviour, errors, path escapes, and the bash time limit. */
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { childEnv } from "../../containers/agent/secrets";
import { globToRegExp } from "../../containers/agent/tools/search";
import { type ToolContext, runTool } from "../../containers/agent/tools/index";
import { removeTempDirs, tempDir } from "./helpers";

/** A killed process whose parent is gone may linger as a zombie until reaped: that counts as dead. */
async function isAlive(pid: number): Promise<boolean> {
  if (!existsSync("/proc/self")) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return false;
  return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

let ctx: ToolContext;
let outside: string;
beforeEach(async () => {
  const workspace = await tempDir();
  outside = await tempDir("tandem-outside-");
  await writeFile(path.join(outside, "secret.txt"), "outside secret\n");
  await mkdir(path.join(workspace, "src/lib"), { recursive: true });
  await writeFile(path.join(workspace, "README.md"), "# Demo\nhello world\n");
  await writeFile(path.join(workspace, "src/main.ts"), "import { add } from './lib/add';\nconsole.log(add(1, 2));\n");
  await writeFile(path.join(workspace, "src/lib/add.ts"), "export function add(a: number, b: number) {\n  return a + b;\n}\n");
  ctx = { workspace, env: childEnv({}, workspace), signal: new AbortController().signal };
});
afterAll(removeTempDirs);

const run = (name: string, input: unknown) => runTool(name, input, ctx);

describe("file tools", () => {
  it("read_file and edit_file read a huge file (a hostile repository's) without holding it in memory, and refuse a FIFO", async () => {
    // 400 MB of zeros, sparse: a few KB in git, yet read whole into a 400 MB string it exhausts a small heap
    // (a container's memory; locally, the one host process that every session's agent shares).
    const { execFileSync, spawnSync } = await import("node:child_process");
    execFileSync("truncate", ["-s", "400M", path.join(ctx.workspace, "big.log")]);
    execFileSync("mkfifo", [path.join(ctx.workspace, "pipe")]);
    const script = [
      `import { runTool } from ${JSON.stringify(path.resolve("containers/agent/tools/index.ts"))};`,
      `const ctx = { workspace: ${JSON.stringify(ctx.workspace)}, env: {}, signal: new AbortController().signal };`,
      `const results = [];`,
      `for (const [name, input] of [["read_file", { path: "big.log" }], ["read_file", { path: "big.log", offset: 1, limit: 1 }], ["edit_file", { path: "big.log", old_string: "x", new_string: "y" }], ["read_file", { path: "pipe" }]])`,
      `  results.push(await runTool(name, input, ctx));`,
      `console.log(JSON.stringify(results.map((r) => ({ isError: r.isError, length: r.output.length, tail: r.output.slice(-160) }))));`,
    ].join("\n");
    const file = path.join(outside, "read-huge.mts");
    await writeFile(file, script);
    const child = spawnSync(path.resolve("node_modules/.bin/tsx"), [file], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=160" },
    });
    expect(child.status, child.stderr.slice(-500)).toBe(0);
    const [whole, range, edit, fifo] = JSON.parse(child.stdout.trim().split("\n").pop()!) as { isError: boolean; length: number; tail: string }[];
    expect(whole.isError).toBe(false);
    expect(whole.length).toBeLessThan(51_000);
    expect(whole.tail).toContain("419430400 bytes");
    expect(range.isError).toBe(false);
    expect(edit).toMatchObject({ isError: true });
    expect(edit.tail).toContain("too large");
    expect(fifo).toMatchObject({ isError: true });
    expect(fifo.tail).toContain("not a regular file");
  }, 60_000);

  it("read_file reads whole files and line ranges", async () => {
    expect(await run("read_file", { path: "README.md" })).toEqual({ output: "# Demo\nhello world\n", isError: false });
    expect((await run("read_file", { path: "src/lib/add.ts", offset: 2, limit: 1 })).output).toBe("  return a + b;");
    expect(await run("read_file", { path: "nope.txt" })).toEqual({ output: "file not found: nope.txt", isError: true });
    expect((await run("read_file", { path: "src" })).output).toContain("is a directory");
  });

  it("write_file creates parent directories", async () => {
    expect((await run("write_file", { path: "a/b/c.txt", content: "deep" })).isError).toBe(false);
    expect(await readFile(path.join(ctx.workspace, "a/b/c.txt"), "utf8")).toBe("deep");
  });

  it("edit_file replaces one exact occurrence and refuses missing or ambiguous ones", async () => {
    expect(await run("edit_file", { path: "src/lib/add.ts", old_string: "a + b", new_string: "a + b + 0" })).toEqual({
      output: "replaced 1 occurrence in src/lib/add.ts",
      isError: false,
    });
    expect(await readFile(path.join(ctx.workspace, "src/lib/add.ts"), "utf8")).toContain("return a + b + 0;");
    expect(await run("edit_file", { path: "src/lib/add.ts", old_string: "a * b", new_string: "x" })).toEqual({
      output: "old_string not found in src/lib/add.ts",
      isError: true,
    });
    await writeFile(path.join(ctx.workspace, "dup.txt"), "x $1 x\n");
    const ambiguous = await run("edit_file", { path: "dup.txt", old_string: "x", new_string: "y" });
    expect(ambiguous).toEqual({ output: "old_string is not unique in dup.txt (found 2 times); include more context", isError: true });
    expect((await run("edit_file", { path: "dup.txt", old_string: "x", new_string: "$&$&", replace_all: true })).isError).toBe(false);
    expect(await readFile(path.join(ctx.workspace, "dup.txt"), "utf8")).toBe("$&$& $1 $&$&\n");
  });

  it("reports invalid input as a tool error", async () => {
    const result = await run("read_file", { file: "README.md" });
    expect(result.isError).toBe(true);
    expect(result.output).toContain("invalid input for read_file");
    expect(await run("no_such_tool", {})).toEqual({ output: "unknown tool: no_such_tool", isError: true });
  });
});

describe("list and grep", () => {
  it("list globs relative to a directory", async () => {
    expect((await run("list", {})).output).toBe("README.md\nsrc/");
    expect((await run("list", { pattern: "**/*.ts" })).output).toBe("src/main.ts\nsrc/lib/add.ts");
    expect((await run("list", { path: "src", pattern: "*" })).output).toBe("src/lib/\nsrc/main.ts");
    expect((await run("list", { pattern: "*.{md,txt}" })).output).toBe("README.md");
    expect(globToRegExp("**/*.ts").test("a.ts")).toBe(true);
  });

  it("grep finds matching lines with file and line number", async () => {
    expect((await run("grep", { pattern: "add\\(1" })).output).toBe("src/main.ts:2: console.log(add(1, 2));");
    expect((await run("grep", { pattern: "add\\(" })).output.split("\n")).toHaveLength(2);
    expect((await run("grep", { pattern: "HELLO", ignore_case: true, glob: "*.md" })).output).toBe("README.md:2: hello world");
    expect((await run("grep", { pattern: "(" })).isError).toBe(true);
  });
});

describe("paths outside the workspace are refused", () => {
  it.each([
    ["read_file", { path: "../../etc/passwd" }],
    ["read_file", { path: "/etc/passwd" }],
    ["write_file", { path: "../escape.txt", content: "x" }],
    ["edit_file", { path: "/etc/hosts", old_string: "a", new_string: "b" }],
    ["list", { path: ".." }],
    ["grep", { pattern: "root", path: "/etc" }],
  ])("%s %j", async (name, input) => {
    const result = await run(name, input);
    expect(result.isError).toBe(true);
    expect(result.output).toContain("path is outside the workspace");
  });

  it("refuses symlinks that lead out, for reading and writing", async () => {
    await symlink(path.join(outside, "secret.txt"), path.join(ctx.workspace, "link.txt"));
    await symlink(outside, path.join(ctx.workspace, "linkdir"));
    const read = await run("read_file", { path: "link.txt" });
    expect(read.isError).toBe(true);
    expect(read.output).toContain("symlink");
    expect((await run("write_file", { path: "linkdir/new.txt", content: "x" })).output).toContain("path is outside the workspace");
    expect((await run("list", { path: "linkdir" })).isError).toBe(true);
  });

  it("accepts an absolute path inside the workspace", async () => {
    expect((await run("read_file", { path: path.join(ctx.workspace, "README.md") })).isError).toBe(false);
  });
});

describe("bash", () => {
  it("runs in the workspace with the session's environment", async () => {
    ctx.env = childEnv({ GREETING: "hi-from-secrets" }, ctx.workspace);
    const result = await run("bash", { command: "pwd; echo $GREETING; ls" });
    expect(result.isError).toBe(false);
    expect(result.output.split("\n")[0]).toBe(await import("node:fs/promises").then((fs) => fs.realpath(ctx.workspace)));
    expect(result.output).toContain("hi-from-secrets\nREADME.md\nsrc\n");
  });

  it("does not pass the host's own environment through", async () => {
    process.env.HOST_ONLY_VARIABLE = "host-value";
    try {
      expect((await run("bash", { command: "echo \"[$HOST_ONLY_VARIABLE]\"" })).output).toBe("[]\n");
    } finally {
      delete process.env.HOST_ONLY_VARIABLE;
    }
  });

  it("reports a non-zero exit as an error with the output", async () => {
    expect(await run("bash", { command: "echo oops >&2; exit 3" })).toEqual({ output: "oops\n\n[exit code 3]", isError: true });
  });

  it("kills a command (and its children) that exceeds its time limit", async () => {
    const started = Date.now();
    const result = await run("bash", { command: "sleep 30 & echo $! > child.pid; echo started; wait", timeout_seconds: 1 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.isError).toBe(true);
    expect(result.output).toContain("started");
    expect(result.output).toContain("timed out after 1 s");
    const childPid = Number(await readFile(path.join(ctx.workspace, "child.pid"), "utf8"));
    expect(await isAlive(childPid)).toBe(false); // the background child died with the group
  });

  it("leaves nothing running once a command ends: a background process dies with it", async () => {
    const started = Date.now();
    // A duration no other process on the machine uses, so `ps` finds only ours.
    const duration = `${900_000 + Math.floor(Math.random() * 99_999)}`;
    const result = await run("bash", { command: `sleep ${duration} & echo $! > bg.pid; (sleep ${duration} > /dev/null 2>&1 &); echo done` });
    expect(result).toEqual({ output: "done\n", isError: false });
    expect(Date.now() - started).toBeLessThan(2000);
    const pid = Number(await readFile(path.join(ctx.workspace, "bg.pid"), "utf8"));
    expect(await isAlive(pid)).toBe(false);
    // The detached one too: it stayed in the command's process group.
    const { execFileSync } = await import("node:child_process");
    const survivors = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").filter((line) => line.trim() === `sleep ${duration}`);
    expect(survivors).toEqual([]);
  });

  it("leaves nothing running that left the command's process group (setsid, a daemon), with the secrets in its environment", async () => {
    const duration = `${900_000 + Math.floor(Math.random() * 99_999)}`;
    const secrets = { ...ctx, env: childEnv({ DEPLOY_TOKEN: "deploy-token-value" }, ctx.workspace) };
    const survivors = async () => {
      const { execFileSync } = await import("node:child_process");
      return execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").filter((line) => line.trim() === `sleep ${duration}`);
    };
    // Its own session (so its own group), its output detached: what a daemon does.
    const result = await runTool("bash", { command: `setsid sleep ${duration} > /dev/null 2>&1 < /dev/null & echo done` }, secrets);
    expect(result).toEqual({ output: "done\n", isError: false });
    expect(await survivors()).toEqual([]);
    // Started by a command that is stopped: it goes too.
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    await runTool("bash", { command: `setsid sleep ${duration} > /dev/null 2>&1 < /dev/null & sleep 20` }, { ...secrets, signal: stop.signal });
    expect(await survivors()).toEqual([]);
  });

  it("kills the running command when the turn is stopped", async () => {
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 200);
    const result = await runTool("bash", { command: "sleep 20 & echo $! > stopped.pid; echo before; wait" }, { ...ctx, signal: stop.signal });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(result.isError).toBe(true);
    expect(result.output).toContain("before");
    expect(await isAlive(Number(await readFile(path.join(ctx.workspace, "stopped.pid"), "utf8")))).toBe(false);
  });

  it("refuses a time limit above the maximum", async () => {
    expect((await run("bash", { command: "true", timeout_seconds: 600 })).output).toContain("invalid input for bash");
  });

  it("caps the output", async () => {
    const result = await run("bash", { command: "head -c 100000 /dev/zero | tr '\\0' 'x'" });
    expect(result.output.length).toBeLessThan(31_000);
    expect(result.output).toContain("[output truncated: 70000 more characters]");
  });
});
