/**
 * Permission modes through the real CLI against the fake Messages API: in `ask` each tool call Claude Code
 * asks about is an `approval` the room decides (deny with a message that reaches Claude, allow, allow for
 * the rest of the session), whatever a hostile repository's `.claude/` settings pre-allow; in `plan` the
 * plan is an approval of kind `plan` (rejected with feedback Claude keeps planning, approved it continues
 * in the mode the approver named); the mode and the model switch live (`settings`).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FromAgentFrame } from "@tandem/protocol/agent";
import { type ClaudeHarness, lastMessage, reply, sentText, startClaudeHarness } from "./claude-harness";
import type { RecordedRequest } from "../fakes/anthropic";
import { CONFIG, DoClient, removeTempDirs, startFrame } from "./helpers";
import { liveModel } from "../fakes/catalog";

let h: ClaudeHarness;
beforeAll(async () => {
  // A reconnect test closes the room's socket and opens another: the host must keep the session meanwhile,
  // also on a busy machine (the harness's 300 ms grace was shorter than a reconnect there).
  h = await startClaudeHarness("approvals", { graceMs: 10_000 });
});
afterEach(() => {
  h.clear();
});
afterAll(async () => {
  await h.close();
  await removeTempDirs();
});

type Approval = Extract<FromAgentFrame, { type: "approval" }>;

describe("permission modes", () => {
  it("ask: each tool call Claude Code asks about waits for the team; a denial's message reaches Claude; allow_always stops asking for that tool; a repository's .claude settings pre-allow nothing", async () => {
    const { id, client } = await h.open({ config: { ...CONFIG, permissionMode: "ask" } });
    const workspace = h.host.sessions.get(id)!.workspace;
    // A hostile repository (or the agent before a Resume) pre-allows every tool and bypasses permissions.
    const allowAll = JSON.stringify({
      permissions: { allow: ["Bash", "Bash(*)", "Write", "Edit"], defaultMode: "bypassPermissions" },
    });
    await mkdir(path.join(workspace, ".claude"), { recursive: true });
    await writeFile(path.join(workspace, ".claude", "settings.json"), allowAll);
    await writeFile(path.join(workspace, ".claude", "settings.local.json"), allowAll);
    const file = (name: string) => path.join(workspace, name);
    h.enqueue(
      reply.tool("toolu_rm", "Bash", { command: "echo removed > gone.txt", description: "Remove things" }),
      reply.tool("toolu_echo", "Write", { file_path: file("once.txt"), content: "allowed once\n" }),
      reply.tool("toolu_again", "Write", { file_path: file("always.txt"), content: "allowed always\n" }),
      reply.tool("toolu_free", "Write", { file_path: file("free.txt"), content: "no question now\n" }),
      reply.text("Done."),
    );
    client.send({ type: "user_message", seq: 1, text: "clean up", author: "alice" });

    const first = (await client.waitFor((f) => f.type === "approval", "the first approval")) as Approval;
    expect(first).toMatchObject({
      id: "toolu_rm",
      kind: "tool",
      tool: "Bash",
      input: { command: "echo removed > gone.txt" },
    });
    await client.waitForStatus("waiting_input");
    client.send({
      type: "decision",
      seq: 2,
      approvalId: "toolu_rm",
      decision: "deny",
      message: "not in this repository",
      author: "bob",
    });

    await client.waitFor((f) => f.type === "approval" && f.id === "toolu_echo", "the second approval");
    const denied = lastMessage(h.api.requests.at(-1)!);
    expect(denied).toContain("toolu_rm");
    expect(denied).toContain("bob denied this tool call: not in this repository");
    await expect(readFile(path.join(workspace, "gone.txt"), "utf8")).rejects.toThrow();
    client.send({ type: "decision", seq: 3, approvalId: "toolu_echo", decision: "allow", author: "bob" });

    await client.waitFor((f) => f.type === "approval" && f.id === "toolu_again", "the third approval");
    // A decision sent twice (a resend after a reconnect) is read once.
    client.send({
      type: "decision",
      seq: 4,
      approvalId: "toolu_again",
      decision: "allow_always",
      author: "carol",
    });
    client.send({ type: "decision", seq: 4, approvalId: "toolu_again", decision: "deny", author: "mallory" });
    await client.waitForStatus("idle", 2);

    const approvals = client.of("approval").map((f) => f.id);
    expect(approvals).toEqual(["toolu_rm", "toolu_echo", "toolu_again"]);
    const results = Object.fromEntries(client.of("tool_result").map((f) => [f.id, f]));
    expect(results.toolu_rm.isError).toBe(true);
    expect(await readFile(file("once.txt"), "utf8")).toBe("allowed once\n");
    expect(await readFile(file("always.txt"), "utf8")).toBe("allowed always\n");
    // allow_always: the next Write asked nobody.
    expect(await readFile(file("free.txt"), "utf8")).toBe("no question now\n");
    expect(results.toolu_free.isError).toBe(false);
    expect(client.of("status").map((f) => f.state)).toEqual([
      "idle",
      "working",
      "waiting_input",
      "working",
      "waiting_input",
      "working",
      "waiting_input",
      "working",
      "idle",
    ]);
    expect(client.of("input_consumed").at(-1)?.upTo).toBe(4);
    expect(client.invalid).toEqual([]);
    await client.close();
  }, 90_000);

  it("plan: the plan is an approval of kind plan; rejected with feedback Claude keeps planning; approved into `ask`, the next tool call asks", async () => {
    const { id, client } = await h.open({ config: { ...CONFIG, permissionMode: "plan" } });
    const workspace = h.host.sessions.get(id)!.workspace;
    // Claude writes its plan to the plan file Claude Code names in plan mode, then calls ExitPlanMode.
    const planFile = (request: RecordedRequest) =>
      /create your plan at (\S+\.md)/.exec(sentText(request))?.[1] ?? "missing-plan-file.md";
    h.enqueue(
      (request) =>
        reply.tool("toolu_w1", "Write", { file_path: planFile(request), content: "1. Delete the tests\n" }),
      reply.tool("toolu_plan1", "ExitPlanMode", {}),
      (request) =>
        reply.tool("toolu_w2", "Write", {
          file_path: /(\/\S+\/plans\/\S+\.md)/.exec(sentText(request))?.[1] ?? "missing-plan-file.md",
          content: "1. Fix the bug\n2. Add a test\n",
        }),
      reply.tool("toolu_plan2", "ExitPlanMode", {}),
      reply.tool("toolu_write", "Write", { file_path: path.join(workspace, "fix.txt"), content: "fixed\n" }),
      reply.text("Fixed."),
    );
    client.send({ type: "user_message", seq: 1, text: "fix the bug", author: "alice" });
    const plan1 = (await client.waitFor((f) => f.type === "approval", "the plan")) as Approval;
    expect(plan1).toMatchObject({
      id: "toolu_plan1",
      kind: "plan",
      tool: "ExitPlanMode",
      input: { plan: "1. Delete the tests\n" },
    });
    // Writing the plan file is planning: it asks nobody.
    expect(client.of("approval").map((f) => f.id)).toEqual(["toolu_plan1"]);
    client.send({
      type: "decision",
      seq: 2,
      approvalId: "toolu_plan1",
      decision: "deny",
      message: "keep the tests",
      author: "bob",
    });

    await client.waitFor((f) => f.type === "approval" && f.id === "toolu_plan2", "the second plan");
    // The request right after the rejection carries it as ExitPlanMode's result.
    const rejected = h.api.requests.map(lastMessage).find((text) => text.includes("toolu_plan1"));
    expect(rejected).toContain("bob rejected the plan; keep planning: keep the tests");
    client.send({
      type: "decision",
      seq: 3,
      approvalId: "toolu_plan2",
      decision: "allow",
      mode: "ask",
      author: "bob",
    });

    // In `ask` now: the Write waits for a decision.
    const plan2 = client.of("approval").find((f) => f.id === "toolu_plan2");
    expect(plan2?.input).toEqual({ plan: "1. Fix the bug\n2. Add a test\n" });
    const write = (await client.waitFor(
      (f) => f.type === "approval" && f.id === "toolu_write",
      "the Write's approval",
    )) as Approval;
    expect(write).toMatchObject({ kind: "tool", tool: "Write", input: { content: "fixed\n" } });
    client.send({ type: "decision", seq: 4, approvalId: "toolu_write", decision: "allow", author: "carol" });
    await client.waitForStatus("idle", 2);
    expect(await readFile(path.join(workspace, "fix.txt"), "utf8")).toBe("fixed\n");
    expect(client.invalid).toEqual([]);
    await client.close();
  }, 90_000);

  it("a pending approval survives the room's reconnect: the new socket gets it again and a decision sent there lets the call run", async () => {
    const { id, client } = await h.open({ config: { ...CONFIG, permissionMode: "ask" } });
    const workspace = h.host.sessions.get(id)!.workspace;
    h.enqueue(
      reply.tool("toolu_wait", "Write", { file_path: path.join(workspace, "later.txt"), content: "later\n" }),
      reply.text("Written."),
    );
    client.send({ type: "user_message", seq: 1, text: "write later.txt", author: "alice" });
    const asked = await client.waitFor((f) => f.type === "approval", "the approval");
    const incarnation = client.hellos.at(-1)!.incarnation;
    await client.close();

    // The room comes back (a restart, a network blip): same incarnation, nothing acknowledged past the ask.
    const again = await DoClient.connect(h.host.url, id);
    again.send(
      startFrame(id, { config: { ...CONFIG, permissionMode: "ask" }, incarnation, ackedUpTo: asked.seq - 1 }),
    );
    await again.waitFor((f) => f.type === "approval" && f.id === "toolu_wait", "the approval replayed");
    expect(again.hellos.at(-1)!.incarnation).toBe(incarnation);
    again.send({ type: "decision", seq: 2, approvalId: "toolu_wait", decision: "allow", author: "bob" });
    await again.waitFor(
      (f) => f.type === "status" && f.state === "idle" && f.seq > asked.seq,
      "the turn's end",
    );
    expect(await readFile(path.join(workspace, "later.txt"), "utf8")).toBe("later\n");
    await again.close();
  }, 90_000);

  it("settings: `auto` from the next tool call (a Write nobody is asked about), the model from the next request", async () => {
    const other = liveModel((entry) => entry.id !== CONFIG.model && entry.thinking.mode === "budget");
    const { id, client } = await h.open({ config: { ...CONFIG, permissionMode: "ask" } });
    const workspace = h.host.sessions.get(id)!.workspace;
    h.enqueue(
      reply.tool("toolu_one", "Write", { file_path: path.join(workspace, "one.txt"), content: "one\n" }),
      reply.text("One."),
    );
    client.send({ type: "user_message", seq: 1, text: "echo one", author: "alice" });
    await client.waitFor((f) => f.type === "approval", "the approval");
    // Switched to auto while a call waits: that call still waits for its decision.
    client.send({ type: "settings", permissionMode: "auto", model: other.id });
    client.send({ type: "decision", seq: 2, approvalId: "toolu_one", decision: "allow", author: "bob" });
    await client.waitForStatus("idle", 2);
    const before = h.api.requests.length;

    h.enqueue(
      reply.tool("toolu_two", "Write", { file_path: path.join(workspace, "two.txt"), content: "two\n" }),
      reply.text("Two."),
    );
    client.send({ type: "user_message", seq: 3, text: "echo two", author: "alice" });
    await client.waitForStatus("idle", 3);
    expect(client.of("approval").map((f) => f.id)).toEqual(["toolu_one"]);
    expect(await readFile(path.join(workspace, "two.txt"), "utf8")).toBe("two\n");
    const after = h.api.requests.slice(before).filter((request) => Array.isArray(request.body.messages));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((request) => request.body.model === other.id)).toBe(true);
    expect(client.of("usage").at(-1)?.model).toBe(other.id);
    await client.close();
  }, 90_000);
});
