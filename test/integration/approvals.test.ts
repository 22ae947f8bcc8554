/**
 * Permission modes and the live model switch through the Worker, the real agent host and the real CLI
 * (its gateway forwarding to the fake Messages API): in `ask` a tool call is an approval card every member
 * sees, viewers cannot answer, the first owner's or editor's answer wins (then 409), the card survives a
 * room restart, and a denial's message reaches Claude's next request; in `plan` an approved plan continues
 * in the mode the approver named; PATCH {model} while Running shows in the next request, a retired model 400.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { FakeResponse } from "../fakes/anthropic";
import { CATALOG, isRetired } from "@tandem/protocol/models";
import { liveModel } from "../fakes/catalog";
import { signIn, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import {
  createSession,
  eventsOf,
  eventually,
  getSession,
  restartRoom,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
} from "../worker/session-helpers";

const control = (path: string, body?: unknown) =>
  fetch(`${env.TEST_CONTROL_URL}${path}`, {
    method: "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const script = (...responses: FakeResponse[]) => control("/anthropic/enqueue", responses);
const requests = async () =>
  (
    (await (await control("/anthropic/requests")).json()) as {
      requests: { model: string; messages: unknown[] }[];
    }
  ).requests;
const text = (value: string): FakeResponse => ({ kind: "message", content: [{ type: "text", text: value }] });
const toolCall = (id: string, name: string, input: unknown): FakeResponse => ({
  kind: "message",
  content: [{ type: "tool_use", id, name, input }],
});

type Block = {
  type: string;
  id?: string;
  status?: string;
  decidedBy?: string;
  decision?: string;
  message?: string;
  kind?: string;
  tool?: string;
  input?: unknown;
};
const blocksOf = async (client: Client, ws: string, id: string) =>
  (await transcriptOf(client, ws, id)).flatMap((m) => m.blocks as Block[]);
const approvalIn = (blocks: Block[], approvalId: string) =>
  blocks.find((b) => b.type === "approval" && b.id === approvalId);
const decide = (client: Client, ws: string, id: string, approvalId: string, body: unknown) =>
  client.api(`/api/workspaces/${ws}/sessions/${id}/approvals/${encodeURIComponent(approvalId)}`, { body });
const say = async (client: Client, ws: string, id: string, message: string) =>
  expect(
    (await client.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: message } })).status,
  ).toBe(202);

const model = liveModel(() => true).id;

describe("permission modes and approvals", () => {
  it("ask: a shared approval card; viewers 403; bad input 400/404; it survives a room restart; the first answer wins; a denial's message reaches Claude", async () => {
    const owner = await signIn(uniqueName("owner"));
    const editor = await signIn(uniqueName("editor"));
    const viewer = await signIn(uniqueName("viewer"));
    const ws = await workspaceWith(owner, [
      { client: editor, role: "editor" },
      { client: viewer, role: "viewer" },
    ]);
    const { id } = await createSession(owner, ws, { model, permissionMode: "ask" });
    expect((await getSession(owner, ws, id)).permissionMode).toBe("ask");
    await waitForPhase(owner, ws, id, "Running", 20_000);
    await script(
      toolCall("toolu_notes", "Bash", { command: "echo notes > notes.md", description: "Write notes" }),
      text("Understood, no notes."),
    );
    await say(owner, ws, id, "write some notes");

    const pending = await eventually(
      () => blocksOf(viewer, ws, id),
      (b) => approvalIn(b, "toolu_notes") !== undefined,
      20_000,
    );
    expect(approvalIn(pending, "toolu_notes")).toMatchObject({
      kind: "tool",
      tool: "Bash",
      status: "pending",
      input: { command: "echo notes > notes.md" },
    });
    await waitForAgentStatus(owner, ws, id, "waiting_input");

    expect((await decide(viewer, ws, id, "toolu_notes", { decision: "allow" })).status).toBe(403);
    const bad = await decide(owner, ws, id, "toolu_notes", { decision: "maybe" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field?: string } }).error.field).toBe("decision");
    const unknown = await decide(owner, ws, id, "toolu_nobody", { decision: "allow" });
    expect(unknown.status).toBe(404);

    // A room that restarts (a redeploy) still shows the card and still takes the decision.
    await restartRoom(id);
    expect(approvalIn(await blocksOf(owner, ws, id), "toolu_notes")?.status).toBe("pending");

    const denied = await decide(owner, ws, id, "toolu_notes", {
      decision: "deny",
      message: "not in this repository",
    });
    expect(denied.status).toBe(200);
    expect(await denied.json()).toMatchObject({
      approval: { approvalId: "toolu_notes", decision: "deny", decidedBy: owner.user.name },
    });
    const late = await decide(editor, ws, id, "toolu_notes", { decision: "allow" });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe("already_decided");

    const answered = await eventually(
      () => blocksOf(viewer, ws, id),
      (b) => approvalIn(b, "toolu_notes")?.status === "denied",
      10_000,
    );
    expect(approvalIn(answered, "toolu_notes")).toMatchObject({
      decision: "deny",
      decidedBy: owner.user.name,
      message: "not in this repository",
    });
    const carried = await eventually(
      requests,
      (all) =>
        all.some((r) =>
          JSON.stringify(r.messages.at(-1)).includes(
            `${owner.user.name} denied this tool call: not in this repository`,
          ),
        ),
      20_000,
    );
    expect(carried.length).toBeGreaterThan(0);
    await waitForAgentStatus(owner, ws, id, "idle");
    const events = await eventsOf(owner, ws, id);
    expect(events.find((e) => e.type === "approval_decided")).toMatchObject({ actor: owner.user.name });
  });

  it("plan: an approved plan continues in the mode the approver names (auto: the next Write asks nobody)", async () => {
    const owner = await signIn(uniqueName("owner"));
    const editor = await signIn(uniqueName("editor"));
    const ws = await workspaceWith(owner, [{ client: editor, role: "editor" }]);
    const { id } = await createSession(owner, ws, { model, permissionMode: "plan" });
    await waitForPhase(owner, ws, id, "Running", 20_000);
    await script(
      toolCall("toolu_plan", "ExitPlanMode", {}),
      toolCall("toolu_fix", "Write", { file_path: "fix.txt", content: "fixed\n" }),
      text("Fixed."),
    );
    await say(owner, ws, id, "fix the bug");
    await eventually(
      () => blocksOf(owner, ws, id),
      (b) => approvalIn(b, "toolu_plan")?.kind === "plan",
      20_000,
    );
    expect((await decide(editor, ws, id, "toolu_plan", { decision: "allow", mode: "auto" })).status).toBe(
      200,
    );

    const done = await eventually(
      () => blocksOf(owner, ws, id),
      (b) => b.some((x) => x.type === "tool_use" && x.id === "toolu_fix" && x.status === "done"),
      20_000,
    );
    expect(done.filter((b) => b.type === "approval").map((b) => b.id)).toEqual(["toolu_plan"]);
    expect(approvalIn(done, "toolu_plan")).toMatchObject({ status: "allowed", decidedBy: editor.user.name });
    expect((await getSession(owner, ws, id)).permissionMode).toBe("auto");
  });

  it("PATCH {model} while Running: the next request asks for it, an event names who; a retired model 400 model_retired; a bad mode 400", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, { model });
    await waitForPhase(owner, ws, id, "Running", 20_000);
    const other = liveModel((entry) => entry.id !== model && entry.thinking.mode !== "always").id;
    const patched = await owner.api(`/api/workspaces/${ws}/sessions/${id}`, {
      method: "PATCH",
      body: { model: other, permissionMode: "ask" },
    });
    expect(patched.status).toBe(200);
    expect(
      ((await patched.json()) as { session: { model: string; permissionMode: string } }).session,
    ).toMatchObject({ model: other, permissionMode: "ask" });
    const before = (await requests()).length;
    await script(text("Switched."));
    await say(owner, ws, id, "which model now?");
    const after = await eventually(
      async () => (await requests()).slice(before),
      (r) => r.length > 0,
      20_000,
    );
    expect(after.every((r) => r.model === other)).toBe(true);
    const events = await eventsOf(owner, ws, id);
    expect(events.find((e) => e.type === "model_switched")).toMatchObject({
      actor: owner.user.name,
      reason: `${model} → ${other}`,
    });

    const retired = CATALOG.find((entry) => isRetired(entry, Date.now()));
    if (retired) {
      const refused = await owner.api(`/api/workspaces/${ws}/sessions/${id}`, {
        method: "PATCH",
        body: { model: retired.id },
      });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("model_retired");
    }
    const badMode = await owner.api(`/api/workspaces/${ws}/sessions/${id}`, {
      method: "PATCH",
      body: { permissionMode: "yolo" },
    });
    expect(badMode.status).toBe(400);
    expect(((await badMode.json()) as { error: { field?: string } }).error.field).toBe("permissionMode");
  });
});
