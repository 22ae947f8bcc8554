/**
 * The git round trip end to end: the Worker, the real agent host and a fake GitHub that requires the
 * token. A private repository fails to clone without the workspace's GITHUB_TOKEN (git's message in the
 * events) and clones with it; the agent's edit shows in the changes; a push opens a pull request whose
 * link the session and the list show. The token appears in no answer, event or transcript.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { FakeResponse } from "../fakes/anthropic";
import { FAKE_GITHUB_TOKEN } from "../fakes/github";
import { signIn, uniqueName, workspaceWith } from "../worker/helpers";
import {
  createSession,
  eventsOf,
  eventually,
  textOf,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
} from "../worker/session-helpers";
import type { Changes, PushResult } from "@tandem/protocol/git";

const control = (path: string, body?: unknown) =>
  fetch(`${env.TEST_CONTROL_URL}${path}`, {
    method: "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const script = (...responses: FakeResponse[]) => control("/anthropic/enqueue", responses);
const text = (value: string): FakeResponse => ({ kind: "message", content: [{ type: "text", text: value }] });
const toolCall = (id: string, name: string, input: unknown): FakeResponse => ({
  kind: "message",
  content: [{ type: "tool_use", id, name, input }],
});

describe("the git round trip with a private repository", () => {
  it("no token: the clone fails with git's message; with it: clone, changes, push and pull request", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const repo = { url: `${env.TEST_GITHUB_URL}/acme/private.git`, branch: "main" };

    const denied = await createSession(owner, ws, { repos: [repo] });
    await waitForPhase(owner, ws, denied.id, "Failed", 20_000);
    const failure = (await eventsOf(owner, ws, denied.id)).find((e) => e.phase === "Failed");
    expect(failure?.reason).toMatch(/could not read Username|Authentication failed/);

    await owner.api(`/api/workspaces/${ws}/secrets/GITHUB_TOKEN`, {
      method: "PUT",
      body: { value: FAKE_GITHUB_TOKEN },
    });
    await script(
      toolCall("toolu_write", "Bash", {
        command: "printf '# Notes\\n\\nFixed the login.\\n' > private/NOTES.md",
        description: "Write the notes",
      }),
      text("Wrote the notes."),
    );
    const session = await createSession(owner, ws, {
      displayName: "Login notes",
      repos: [repo],
      prompt: "write notes",
    });
    await waitForPhase(owner, ws, session.id, "Running", 20_000);
    // The prompt's turn is over once its last words are in (an idle status may still be the one before it).
    await eventually(
      () => transcriptOf(owner, ws, session.id),
      (messages) => textOf(messages).includes("Wrote the notes."),
      20_000,
    );
    await waitForAgentStatus(owner, ws, session.id, "idle");
    const path = `/api/workspaces/${ws}/sessions/${session.id}`;

    const changes = (await (await owner.api(`${path}/changes`)).json()) as Changes;
    expect(changes.repos[0]).toMatchObject({
      url: repo.url,
      branch: "main",
      files: [{ path: "NOTES.md", status: "added", additions: 3, deletions: 0 }],
    });
    expect(changes.repos[0].diff).toContain("+Fixed the login.");

    const res = await owner.api(`${path}/push`, {
      body: { pullRequest: { title: "Login notes", body: "Written in Tandem" } },
    });
    const pushed = (await res.json()) as PushResult;
    expect(res.status, JSON.stringify(pushed)).toBe(200);
    expect(pushed).toMatchObject({ repo: repo.url, branch: "tandem/login-notes" });
    const shown = (await (
      await control(`/github/show/${encodeURIComponent("tandem/login-notes:NOTES.md")}`)
    ).json()) as { text: string };
    expect(shown.text).toBe("# Notes\n\nFixed the login.\n");
    const log = (await (
      await control(`/github/show/${encodeURIComponent("tandem/login-notes")}`)
    ).json()) as { text: string };
    expect(log.text).toContain(`Asked by: ${owner.user.name}`);
    const { pulls } = (await (await control("/github/pulls")).json()) as {
      pulls: { body: { title: string; head: string; base: string } }[];
    };
    expect(pulls.at(-1)?.body).toMatchObject({
      title: "Login notes",
      head: "tandem/login-notes",
      base: "main",
    });
    expect(pushed.pullRequestUrl).toBe(`${env.TEST_GITHUB_URL}/acme/private/pull/${pulls.length}`);

    const view = (await (await owner.api(path)).json()) as { session: { pullRequestUrl: string } };
    expect(view.session.pullRequestUrl).toBe(pushed.pullRequestUrl);
    const everything = JSON.stringify([
      await eventsOf(owner, ws, denied.id),
      await eventsOf(owner, ws, session.id),
      await (await owner.api(`${path}/transcript`)).json(),
      changes,
      pushed,
    ]);
    expect(everything).not.toContain(FAKE_GITHUB_TOKEN);
  });

  it("once stopped, the saved workspace shows the edit and pushes it with a pull request; the token in nothing shown", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const repo = { url: `${env.TEST_GITHUB_URL}/acme/private.git`, branch: "main" };
    await owner.api(`/api/workspaces/${ws}/secrets/GITHUB_TOKEN`, {
      method: "PUT",
      body: { value: FAKE_GITHUB_TOKEN },
    });
    await script(
      toolCall("toolu_stop", "Bash", {
        command: "printf 'Written before the stop.\\n' > private/STOPPED.md",
        description: "Write it",
      }),
      text("Wrote it."),
    );
    const session = await createSession(owner, ws, {
      displayName: "Saved work",
      repos: [repo],
      prompt: "write it",
    });
    await waitForPhase(owner, ws, session.id, "Running", 20_000);
    await eventually(
      () => transcriptOf(owner, ws, session.id),
      (messages) => textOf(messages).includes("Wrote it."),
      20_000,
    );
    await waitForAgentStatus(owner, ws, session.id, "idle");
    const path = `/api/workspaces/${ws}/sessions/${session.id}`;
    await owner.api(`${path}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, session.id, "Stopped", 20_000);

    const res = await owner.api(`${path}/changes`);
    const changes = (await res.json()) as Changes;
    expect(res.status, JSON.stringify(changes)).toBe(200);
    expect(changes.repos[0]).toMatchObject({
      url: repo.url,
      branch: "main",
      files: [{ path: "STOPPED.md", status: "added", additions: 1, deletions: 0 }],
    });
    expect(changes.repos[0].diff).toContain("+Written before the stop.");

    const pushRes = await owner.api(`${path}/push`, {
      body: { pullRequest: { title: "Saved work", body: "Pushed after the stop" } },
    });
    const pushed = (await pushRes.json()) as PushResult;
    expect(pushRes.status, JSON.stringify(pushed)).toBe(200);
    expect(pushed).toMatchObject({ repo: repo.url, branch: "tandem/saved-work" });
    const shown = (await (
      await control(`/github/show/${encodeURIComponent("tandem/saved-work:STOPPED.md")}`)
    ).json()) as { text: string };
    expect(shown.text).toBe("Written before the stop.\n");
    const { pulls } = (await (await control("/github/pulls")).json()) as {
      pulls: { body: { title: string; head: string; base: string } }[];
    };
    expect(pulls.at(-1)?.body).toMatchObject({
      title: "Saved work",
      head: "tandem/saved-work",
      base: "main",
    });
    expect(pushed.pullRequestUrl).toBe(`${env.TEST_GITHUB_URL}/acme/private/pull/${pulls.length}`);

    const view = (await (await owner.api(path)).json()) as {
      session: { phase: string; pullRequestUrl: string };
    };
    expect(view.session).toMatchObject({ phase: "Stopped", pullRequestUrl: pushed.pullRequestUrl });
    const events = await eventsOf(owner, ws, session.id);
    expect(events.find((e) => e.type === "pushed")?.reason).toContain(
      `branch tandem/saved-work, commit ${pushed.commit}`,
    );
    const everything = JSON.stringify([
      events,
      await (await owner.api(`${path}/transcript`)).json(),
      changes,
      pushed,
    ]);
    expect(everything).not.toContain(FAKE_GITHUB_TOKEN);
  });
});
