/**
 * The changes and push routes through the Worker and the room to the (fake) agent host: who may call them,
 * in which phase, what the room sends the agent (default branch, commit message), the event and the pull
 * request link on the session and the list, and the agent's refusals with their statuses. Once no agent
 * runs (Stopped, Completed), the same requests go to the agent host's workbench with the saved workspace.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ChangesSchema, PushResultSchema } from "@tandem/protocol/git";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import { createSession, eventsOf, fakeAgent, waitForAgentStatus, waitForPhase } from "./session-helpers";

/** A running session; without repositories the fake agent saves no workspace (it archives a clone and edits). */
async function running(repos = [{ url: "https://github.com/acme/app.git", branch: "main" }]) {
  const [owner, editor, viewer] = await Promise.all(
    ["owner", "editor", "viewer"].map((n) => signIn(uniqueName(n))),
  );
  const ws = await workspaceWith(owner, [
    { client: editor, role: "editor" },
    { client: viewer, role: "viewer" },
  ]);
  const session = await createSession(owner, ws, { displayName: "Fix the Login flow!", repos });
  await waitForPhase(owner, ws, session.id, "Running");
  await waitForAgentStatus(owner, ws, session.id, "idle");
  const path = `/api/workspaces/${ws}/sessions/${session.id}`;
  const say = async (text: string) => {
    await owner.api(`${path}/messages`, { body: { text } });
    await waitForAgentStatus(owner, ws, session.id, "idle");
  };
  return { owner, editor, viewer, ws, id: session.id, path, say };
}

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string; field?: string } }).error;

describe("changes", () => {
  it("a viewer reads the agent's changes while it runs, and from the saved workspace once stopped", async () => {
    const { owner, viewer, ws, id, path, say } = await running();
    await say("/write repo-1/src/login.ts export const fixed = true;");
    const res = await viewer.api(`${path}/changes`);
    expect(res.status).toBe(200);
    const body: unknown = await res.json();
    // The answer is the protocol's shape, exactly: the web's Changes panel is typed by it.
    expect(ChangesSchema.parse(body)).toEqual(body);
    const { repos } = ChangesSchema.parse(body);
    expect(repos[0]).toMatchObject({
      url: "https://github.com/acme/app.git",
      files: [{ path: "src/login.ts", status: "added" }],
    });
    expect(repos[0].diff).toContain("+export const fixed = true;");

    await owner.api(`${path}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, id, "Stopped");
    const stopped = await viewer.api(`${path}/changes`);
    expect(stopped.status).toBe(200);
    const saved = ChangesSchema.parse(await stopped.json());
    expect(saved.repos[0]).toMatchObject({
      url: "https://github.com/acme/app.git",
      files: [{ path: "src/login.ts", status: "added" }],
    });
    expect(saved.repos[0].diff).toContain("+export const fixed = true;");
    // Kept when the workspace was saved (the agent was asked then): no workbench call for it.
    const calls = (await (await fetch(`${env.AGENT_URL}/control-workbench`)).json()) as {
      action: string;
      files: Record<string, string>;
    }[];
    expect(
      calls.some(
        (call) =>
          call.action === "changes" && call.files["repo-1/src/login.ts"] === "export const fixed = true;",
      ),
    ).toBe(false);
    // Kept nowhere: the workbench makes them from the saved workspace and the session's repositories.
    await env.ARTIFACTS.delete(`sessions/${id}/workspace-changes.json`);
    expect(ChangesSchema.parse(await (await viewer.api(`${path}/changes`)).json())).toEqual(saved);
    const after = (await (await fetch(`${env.AGENT_URL}/control-workbench`)).json()) as {
      action: string;
      files: Record<string, string>;
    }[];
    expect(
      after.some(
        (call) =>
          call.action === "changes" && call.files["repo-1/src/login.ts"] === "export const fixed = true;",
      ),
    ).toBe(true);
  });

  it("a Completed session's changes come from its saved workspace; with nothing saved, 409 saying so", async () => {
    const { owner, viewer, ws, id, path, say } = await running();
    await say("/write repo-1/done.txt finished");
    await owner.api(`${path}/messages`, { body: { text: "/complete" } });
    await waitForPhase(owner, ws, id, "Completed");
    const completed = await viewer.api(`${path}/changes`);
    expect(completed.status).toBe(200);
    expect(ChangesSchema.parse(await completed.json()).repos[0].files).toMatchObject([{ path: "done.txt" }]);

    const other = await running([]);
    await other.owner.api(`${other.path}/stop`, { method: "POST" });
    await waitForPhase(other.owner, other.ws, other.id, "Stopped");
    const nothing = await other.viewer.api(`${other.path}/changes`);
    const error = await errorOf(nothing);
    expect([nothing.status, error.code]).toEqual([409, "agent_not_running"]);
    expect(error.message).toContain("Stopped and has no saved workspace");
  });
});

describe("push", () => {
  it("sends the default branch and a message naming the session and who asked; records the event and the pull request", async () => {
    const { owner, editor, ws, id, path, say } = await running();
    await say("/write repo-1/a.txt hello");
    const res = await editor.api(`${path}/push`, { body: { pullRequest: { title: "Fix login" } } });
    expect(res.status).toBe(200);
    const answer: unknown = await res.json();
    expect(PushResultSchema.parse(answer)).toEqual(answer);
    const result = PushResultSchema.parse(answer);
    expect(result.branch).toBe("tandem/fix-the-login-flow");
    const [sent] = (await fakeAgent(id)).pushes as {
      branch: string;
      message: string;
      pullRequest: unknown;
    }[];
    expect(sent.branch).toBe("tandem/fix-the-login-flow");
    expect(sent.message).toContain('Changes from the Tandem session "Fix the Login flow!"');
    expect(sent.message).toContain(`Asked by: ${editor.user.name}`);
    expect(sent.message).toContain(`/w/${ws}/s/${id}`);
    expect(sent.pullRequest).toEqual({ title: "Fix login" });

    const pushed = (await eventsOf(owner, ws, id)).find((e) => e.type === "pushed");
    expect(pushed).toMatchObject({ actor: editor.user.name });
    expect(pushed?.reason).toContain(
      `branch tandem/fix-the-login-flow, commit ${result.commit}, pull request ${result.pullRequestUrl}`,
    );
    const session = (await (await owner.api(path)).json()) as { session: { pullRequestUrl: string } };
    expect(session.session.pullRequestUrl).toBe(result.pullRequestUrl);
    const list = (await (await owner.api(`/api/workspaces/${ws}/sessions`)).json()) as {
      sessions: { id: string; pullRequestUrl: string | null }[];
    };
    expect(list.sessions.find((s) => s.id === id)?.pullRequestUrl).toBe(result.pullRequestUrl);
  });

  it("a viewer is refused (403); a bad branch is a 400 naming branch; the agent's refusals keep their status and message", async () => {
    const { viewer, owner, path, say } = await running();
    expect((await viewer.api(`${path}/push`, { body: {} })).status).toBe(403);
    const badBranch = await owner.api(`${path}/push`, { body: { branch: "a..b" } });
    expect([badBranch.status, (await errorOf(badBranch)).field]).toEqual([400, "branch"]);
    for (const [status, code] of [
      [409, "push_rejected"],
      [502, "github_error"],
      [400, "github_token_missing"],
      [409, "nothing_to_push"],
    ] as const) {
      await say(`/push-refuse ${status} ${code} the remote said no (${code})`);
      const res = await owner.api(`${path}/push`, { body: { branch: "tandem/x" } });
      const error = await errorOf(res);
      expect([res.status, error.code, error.message]).toEqual([status, code, `the remote said no (${code})`]);
    }
  });

  it("after the session stopped, pushes its saved workspace: the message, the event and the pull request link", async () => {
    const { owner, editor, ws, id, path, say } = await running();
    await say("/write repo-1/a.txt hello");
    await owner.api(`${path}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, id, "Stopped");
    const res = await editor.api(`${path}/push`, { body: { pullRequest: { title: "After stop" } } });
    expect(res.status).toBe(200);
    const result = PushResultSchema.parse(await res.json());
    expect(result).toMatchObject({ branch: "tandem/fix-the-login-flow", commit: "e".repeat(40) });
    const [sent] = (await fakeAgent(id)).pushes as {
      branch: string;
      message: string;
      pullRequest: unknown;
    }[];
    expect(sent.message).toContain(`Asked by: ${editor.user.name}`);
    expect(sent.pullRequest).toEqual({ title: "After stop" });
    const pushed = (await eventsOf(owner, ws, id)).find((e) => e.type === "pushed");
    expect(pushed?.reason).toContain(
      `branch tandem/fix-the-login-flow, commit ${result.commit}, pull request ${result.pullRequestUrl}`,
    );
    const session = (await (await owner.api(path)).json()) as {
      session: { phase: string; pullRequestUrl: string };
    };
    expect(session.session).toMatchObject({ phase: "Stopped", pullRequestUrl: result.pullRequestUrl });
    const list = (await (await owner.api(`/api/workspaces/${ws}/sessions`)).json()) as {
      sessions: { id: string; pullRequestUrl: string | null }[];
    };
    expect(list.sessions.find((s) => s.id === id)?.pullRequestUrl).toBe(result.pullRequestUrl);
  });

  it("refuses while the agent works (409 agent_busy) and, with nothing saved, after the session stopped (409 agent_not_running)", async () => {
    const { owner, ws, id, path } = await running([]);
    await owner.api(`${path}/messages`, { body: { text: "/hold" } });
    await waitForAgentStatus(owner, ws, id, "working");
    const busy = await owner.api(`${path}/push`, { body: {} });
    expect([busy.status, (await errorOf(busy)).code]).toEqual([409, "agent_busy"]);
    await fakeAgent(id, "release");
    await waitForAgentStatus(owner, ws, id, "idle");
    await owner.api(`${path}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, id, "Stopped");
    const stopped = await owner.api(`${path}/push`, { body: {} });
    const error = await errorOf(stopped);
    expect([stopped.status, error.code]).toEqual([409, "agent_not_running"]);
    expect(error.message).toContain("no saved workspace");
  });
});
