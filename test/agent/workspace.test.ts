/** Cloning repositories (local bare repos, no network), artifacts, history and workflows. */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { HistoryMessage } from "@tandem/protocol/agent";
import { historyAsContext } from "../../containers/agent/history";
import { Redactor, childEnv } from "../../containers/agent/secrets";
import { BUILTIN_WORKFLOWS } from "@tandem/protocol/session-config";
import { BUILTIN_WORKFLOW_LIST, builtinWorkflow, renderFirstMessage } from "@tandem/protocol/workflows";
import {
  ArtifactTracker,
  CloneError,
  artifactFile,
  cloneRepos,
  repoDirName,
} from "../../containers/agent/workspace";
import { makeBareRepo, removeTempDirs, tempDir } from "./helpers";

afterAll(removeTempDirs);

describe("cloneRepos", () => {
  it("shallow-clones each repository and branch into the workspace, reporting progress", async () => {
    const repo = await makeBareRepo("demo");
    const other = await makeBareRepo("tools");
    const workspace = await tempDir();
    const progress: string[] = [];
    const dirs = await cloneRepos(
      workspace,
      [{ url: repo.url }, { url: other.url, branch: "dev" }],
      childEnv({}, workspace),
      (detail) => progress.push(detail),
    );
    expect(dirs).toEqual(["demo", "tools"]);
    expect(progress).toEqual([`cloning repo 1 of 2: ${repo.url}`, `cloning repo 2 of 2: ${other.url} (dev)`]);
    expect(await readFile(path.join(workspace, "demo/README.md"), "utf8")).toBe("# demo\n");
    expect(existsSync(path.join(workspace, "demo/DEV.md"))).toBe(false);
    expect(existsSync(path.join(workspace, "tools/DEV.md"))).toBe(true);
  });

  it("fails with git's own error message", async () => {
    const workspace = await tempDir();
    const missing = `file://${workspace}/no-such-repo.git`;
    const error = await cloneRepos(workspace, [{ url: missing }], childEnv({}, workspace), () => {}).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CloneError);
    expect((error as Error).message).toMatch(/does not appear to be a git repository|not found/);
  });

  it("fails on a branch that does not exist", async () => {
    const repo = await makeBareRepo();
    const workspace = await tempDir();
    const error = await cloneRepos(
      workspace,
      [{ url: repo.url, branch: "nope" }],
      childEnv({}, workspace),
      () => {},
    ).catch((e: unknown) => e);
    expect((error as Error).message).toContain("nope");
  });

  it("names directories after the repository, de-duplicated and safe", () => {
    const taken = new Set<string>();
    expect(repoDirName("https://github.com/org/app.git", taken)).toBe("app");
    expect(repoDirName("git@github.com:other/app.git", taken)).toBe("app-2");
    expect(repoDirName("https://example.com/x/..", taken)).toBe("repo");
    expect(repoDirName("https://example.com/artifacts.git", taken)).toBe("repo-artifacts");
  });
});

describe("artifacts", () => {
  it("reports new and changed files under artifacts/ once", async () => {
    const workspace = await tempDir();
    const tracker = new ArtifactTracker(workspace);
    expect(await tracker.scan()).toEqual([]);
    await mkdir(path.join(workspace, "artifacts/charts"), { recursive: true });
    await writeFile(path.join(workspace, "artifacts/report.md"), "hello");
    await writeFile(path.join(workspace, "artifacts/charts/a.svg"), "<svg/>");
    await writeFile(path.join(workspace, "not-an-artifact.txt"), "x");
    expect(await tracker.scan()).toEqual([
      { name: "charts/a.svg", size: 6 },
      { name: "report.md", size: 5 },
    ]);
    expect(await tracker.scan()).toEqual([]);
    await writeFile(path.join(workspace, "artifacts/report.md"), "hello again");
    expect(await tracker.scan()).toEqual([{ name: "report.md", size: 11 }]);
    expect(await artifactFile(workspace, "charts/a.svg")).toMatch(/charts\/a\.svg$/);
    expect(await artifactFile(workspace, "../not-an-artifact.txt")).toBeNull();
  });
});

describe("history as context for a Claude Code with no conversation to resume", () => {
  it("gives people's words with their names, the agent's text, tool calls with their results and questions; never system lines", () => {
    const history: HistoryMessage[] = [
      { role: "system", blocks: [{ type: "text", text: "Session created" }] },
      { role: "user", author: "alice", blocks: [{ type: "text", text: "fix the bug" }] },
      {
        role: "assistant",
        blocks: [
          { type: "thinking", text: "Look first.", signature: "sig-1" },
          { type: "text", text: "Looking." },
          {
            type: "tool_use",
            id: "t1",
            name: "bash",
            input: { command: "ls" },
            result: "a.ts\n",
            isError: false,
          },
        ],
      },
      { role: "user", author: "bob", blocks: [{ type: "text", text: "check b.ts too" }] },
      {
        role: "assistant",
        blocks: [{ type: "tool_use", id: "t2", name: "read_file", input: { path: "b.ts" } }],
      },
      { role: "assistant", blocks: [{ type: "question", text: "Which one?" }] },
    ];
    const context = historyAsContext(history)!;
    expect(context.split("\n").slice(2, -1)).toEqual(
      [
        "[alice] fix the bug",
        "Agent: Looking.",
        'Agent used bash {"command":"ls"} → a.ts\n',
        "[bob] check b.ts too",
        'Agent used read_file {"path":"b.ts"} → (no result: the session ended first)',
        "Agent asked the people in the session: Which one?",
      ]
        .join("\n")
        .split("\n"),
    );
    expect(context).not.toContain("Session created");
    expect(context).not.toContain("Look first.");
    expect(
      historyAsContext([{ role: "system", blocks: [{ type: "text", text: "only events" }] }]),
    ).toBeNull();
  });

  it("keeps the newest part of a long transcript, within its bound, and says how much it left out", () => {
    const history: HistoryMessage[] = Array.from({ length: 500 }, (_, i) => ({
      role: "user" as const,
      author: "alice",
      blocks: [{ type: "text" as const, text: `message ${i} ${"x".repeat(200)}` }],
    }));
    const context = historyAsContext(history, 10_000)!;
    expect(context.length).toBeLessThan(10_500);
    expect(context).toContain("message 499");
    expect(context).not.toContain("message 0 ");
    expect(context).toMatch(/\((\d+) earlier lines are not included\.\)/);
  });
});

describe("workflows and secrets", () => {
  it("has the three built-in workflows with a prompt addition and a first-message template", () => {
    expect(BUILTIN_WORKFLOW_LIST.map((w) => w.name)).toEqual([...BUILTIN_WORKFLOWS]);
    const bugFix = builtinWorkflow("bug-fix")!;
    expect(renderFirstMessage(bugFix, "login fails")).toBe("Please fix this bug:\n\nlogin fails");
    expect(builtinWorkflow("toString")).toBeNull();
  });

  it("redacts every secret value, longest first, deep inside frames", () => {
    const redactor = new Redactor(["abcd", "abcdefgh", "no"]);
    expect(redactor.text("x abcdefgh y abcd no")).toBe("x [redacted] y [redacted] no");
    expect(redactor.deep({ a: ["abcd"], b: { c: "abcdefgh!" } })).toEqual({
      a: ["[redacted]"],
      b: { c: "[redacted]!" },
    });
  });
});
