import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { WorkspaceWorkflowSchema } from "@tandem/protocol/workflows";
import { signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import { createSession, eventually, fakeAgent, transcriptOf, textOf, waitForPhase } from "./session-helpers";

async function team() {
  const [owner, editor, viewer] = await Promise.all(
    ["owner", "editor", "viewer"].map((n) => signIn(uniqueName(n))),
  );
  const ws = await workspaceWith(owner, [
    { client: editor, role: "editor" },
    { client: viewer, role: "viewer" },
  ]);
  return { owner, editor, viewer, ws };
}

const release = {
  name: "release-notes",
  title: "Release notes",
  systemPrompt: "Workflow: release notes.\nRead the git log since the last tag; write RELEASE.md.",
  firstMessage: "Write release notes for {{prompt}}",
};

interface WorkflowJSON {
  name: string;
  title: string;
  systemPrompt: string;
  firstMessage: string;
  builtIn: boolean;
}

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; message: string; field?: string } }).error;
}

async function listOf(client: Client, ws: string): Promise<WorkflowJSON[]> {
  const res = await client.api(`/api/workspaces/${ws}/workflows`);
  expect(res.status).toBe(200);
  const { workflows } = (await res.json()) as { workflows: WorkflowJSON[] };
  // Exactly the protocol's shape: the web's client is typed by it.
  for (const workflow of workflows) expect(WorkspaceWorkflowSchema.parse(workflow)).toEqual(workflow);
  return workflows;
}

describe("workspace workflows", () => {
  it("lists the built-ins beside the workspace's own; an editor creates, changes and deletes one, a viewer reads", async () => {
    const { owner, editor, viewer, ws } = await team();
    expect((await listOf(viewer, ws)).map((w) => [w.name, w.builtIn])).toEqual([
      ["bug-fix", true],
      ["triage", true],
      ["spec-writing", true],
    ]);

    const created = await editor.api(`/api/workspaces/${ws}/workflows`, { body: release });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { workflow: WorkflowJSON }).workflow).toMatchObject({
      ...release,
      builtIn: false,
    });
    expect((await listOf(viewer, ws)).map((w) => w.name)).toEqual([
      "bug-fix",
      "triage",
      "spec-writing",
      "release-notes",
    ]);

    const denied = await viewer.api(`/api/workspaces/${ws}/workflows`, {
      body: { ...release, name: "other" },
    });
    expect(denied.status).toBe(403);

    const changed = await owner.api(`/api/workspaces/${ws}/workflows/release-notes`, {
      method: "PUT",
      body: { title: "Release notes v2", systemPrompt: "Shorter.", firstMessage: "{{prompt}}" },
    });
    expect(changed.status).toBe(200);
    const one = await viewer.api(`/api/workspaces/${ws}/workflows/release-notes`);
    expect(((await one.json()) as { workflow: WorkflowJSON }).workflow).toMatchObject({
      title: "Release notes v2",
      systemPrompt: "Shorter.",
    });

    expect(
      (await editor.api(`/api/workspaces/${ws}/workflows/release-notes`, { method: "DELETE" })).status,
    ).toBe(204);
    expect((await viewer.api(`/api/workspaces/${ws}/workflows/release-notes`)).status).toBe(404);
  });

  it("refuses a taken name (409 exists), a built-in's name, a bad slug, and changing or deleting a built-in", async () => {
    const { owner, ws } = await team();
    expect((await owner.api(`/api/workspaces/${ws}/workflows`, { body: release })).status).toBe(201);
    const again = await owner.api(`/api/workspaces/${ws}/workflows`, { body: release });
    expect([again.status, (await errorOf(again)).code]).toEqual([409, "exists"]);

    const builtinName = await owner.api(`/api/workspaces/${ws}/workflows`, {
      body: { ...release, name: "triage" },
    });
    expect([builtinName.status, (await errorOf(builtinName)).field]).toEqual([400, "name"]);
    const badSlug = await owner.api(`/api/workspaces/${ws}/workflows`, {
      body: { ...release, name: "Release Notes" },
    });
    expect([badSlug.status, (await errorOf(badSlug)).field]).toEqual([400, "name"]);

    const put = await owner.api(`/api/workspaces/${ws}/workflows/bug-fix`, {
      method: "PUT",
      body: { title: "x", systemPrompt: "y", firstMessage: "z" },
    });
    const putError = await errorOf(put);
    expect([put.status, putError.code]).toEqual([409, "workflow_builtin"]);
    expect(putError.message).toContain("built-in");
    const del = await owner.api(`/api/workspaces/${ws}/workflows/triage`, { method: "DELETE" });
    expect([del.status, (await errorOf(del)).code]).toEqual([409, "workflow_builtin"]);
    expect(
      (await owner.api(`/api/workspaces/${ws}/workflows/nothing-here`, { method: "DELETE" })).status,
    ).toBe(404);
  });

  it("a session may name one: the agent's start carries its text, and the first message follows its template", async () => {
    const { owner, ws } = await team();
    await owner.api(`/api/workspaces/${ws}/workflows`, { body: release });
    const session = await createSession(owner, ws, { workflow: "release-notes", prompt: "v2.1" });
    expect(session.workflow).toBe("release-notes");
    await waitForPhase(owner, ws, session.id, "Running");
    const start = (await fakeAgent(session.id)).received.find((frame) => frame.type === "start");
    expect(start?.workflow).toEqual({
      name: "release-notes",
      systemPrompt: release.systemPrompt,
      firstMessage: release.firstMessage,
    });
    await eventually(
      async () => textOf(await transcriptOf(owner, ws, session.id)),
      (text) => text.includes("Write release notes for v2.1"),
    );
  });

  it("an unknown workflow is a 400 on `workflow` at create and PATCH, and on `session.workflow` for a trigger", async () => {
    const { owner, ws } = await team();
    const create = await owner.api(`/api/workspaces/${ws}/sessions`, { body: { workflow: "release-notes" } });
    expect([create.status, (await errorOf(create)).field]).toEqual([400, "workflow"]);
    const trigger = await owner.api(`/api/workspaces/${ws}/triggers`, {
      body: { name: "t", session: { workflow: "release-notes" }, promptTemplate: "p" },
    });
    expect([trigger.status, (await errorOf(trigger)).field]).toEqual([400, "session.workflow"]);

    await owner.api(`/api/workspaces/${ws}/workflows`, { body: release });
    const okTrigger = await owner.api(`/api/workspaces/${ws}/triggers`, {
      body: { name: "t", session: { workflow: "release-notes" }, promptTemplate: "p" },
    });
    expect(okTrigger.status).toBe(201);
    const session = await createSession(owner, ws, { workflow: "release-notes" });
    await waitForPhase(owner, ws, session.id, "Running");
    await owner.api(`/api/workspaces/${ws}/sessions/${session.id}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, session.id, "Stopped");
    const patch = await owner.api(`/api/workspaces/${ws}/sessions/${session.id}`, {
      method: "PATCH",
      body: { workflow: "no-such-flow" },
    });
    expect([patch.status, (await errorOf(patch)).field]).toEqual([400, "workflow"]);
    const toBuiltin = await owner.api(`/api/workspaces/${ws}/sessions/${session.id}`, {
      method: "PATCH",
      body: { workflow: "triage" },
    });
    expect(toBuiltin.status).toBe(200);
    // The index follows the PATCH: nothing uses release-notes any more.
    expect(
      (await owner.api(`/api/workspaces/${ws}/workflows/release-notes`, { method: "DELETE" })).status,
    ).toBe(204);
  });

  it("a workflow in use cannot be deleted without ?force=true; the sessions keep their copy", async () => {
    const { owner, ws } = await team();
    await owner.api(`/api/workspaces/${ws}/workflows`, { body: release });
    const sessions = [
      await createSession(owner, ws, { workflow: "release-notes" }),
      await createSession(owner, ws, { workflow: "release-notes" }),
    ];
    const refused = await owner.api(`/api/workspaces/${ws}/workflows/release-notes`, { method: "DELETE" });
    const error = await errorOf(refused);
    expect([refused.status, error.code]).toEqual([409, "workflow_in_use"]);
    expect(error.message).toContain("2 sessions");
    expect(
      (await owner.api(`/api/workspaces/${ws}/workflows/release-notes?force=maybe`, { method: "DELETE" }))
        .status,
    ).toBe(400);
    expect(
      (await owner.api(`/api/workspaces/${ws}/workflows/release-notes?force=true`, { method: "DELETE" }))
        .status,
    ).toBe(204);
    expect((await listOf(owner, ws)).some((w) => w.name === "release-notes")).toBe(false);

    // A later run of a session still gets the workflow it was created with.
    const [first] = sessions;
    await waitForPhase(owner, ws, first.id, "Running");
    const start = (await fakeAgent(first.id)).received.find((frame) => frame.type === "start");
    expect((start?.workflow as { systemPrompt: string }).systemPrompt).toBe(release.systemPrompt);
    const row = await env.DB.prepare(`SELECT workflow FROM sessions WHERE id = ?`)
      .bind(first.id)
      .first<{ workflow: string }>();
    expect(row?.workflow).toBe("release-notes");
  });
});
