/**
 * Secrets reach only who needs them: an `integration` secret (the Drive token by default) never reaches an
 * agent, whatever an editor or an injected prompt asks it to print; the saved workspace's workbench gets no
 * secret to read changes and only GITHUB_TOKEN to push (a planted git configuration runs with what git
 * gets); a value replaced or deleted is still redacted for 30 days (a saved workspace may hold it).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signIn, uniqueName, workspaceWith } from "../worker/helpers";
import {
  createSession,
  eventually,
  fakeAgent,
  transcriptOf,
  textOf,
  waitForAgentStatus,
  waitForPhase,
} from "../worker/session-helpers";
import { countLeaks, observe, reportFigures } from "./probe";

reportFigures();

const value = (label: string) => `${label}-${crypto.randomUUID()}`;

async function team() {
  const owner = await signIn(uniqueName("owner"));
  const editor = await signIn(uniqueName("editor"));
  const ws = await workspaceWith(owner, [{ client: editor, role: "editor" }]);
  const put = async (name: string, body: Record<string, unknown>) =>
    expect(
      (await observe(await owner.api(`/api/workspaces/${ws}/secrets/${name}`, { method: "PUT", body })))
        .status,
    ).toBe(204);
  return { owner, editor, ws, put };
}

describe("secret scopes", () => {
  it("an editor's agent prints its environment: agent secrets are there (redacted), integration secrets are not at all", async () => {
    const { owner, editor, ws, put } = await team();
    const drive = value("drive");
    const serverOnly = value("server");
    const forAgent = value("agent");
    await put("GOOGLE_DRIVE_TOKEN", { value: drive });
    await put("SERVER_ONLY", { value: serverOnly, scope: "integration" });
    await put("FOR_AGENT", { value: forAgent });
    const listed = (await (await owner.api(`/api/workspaces/${ws}/secrets`)).json()) as {
      secrets: { name: string; scope: string }[];
    };
    expect(Object.fromEntries(listed.secrets.map((s) => [s.name, s.scope]))).toEqual({
      GOOGLE_DRIVE_TOKEN: "integration",
      SERVER_ONLY: "integration",
      FOR_AGENT: "agent",
    });

    const session = await createSession(editor, ws, { prompt: "/env" });
    await waitForPhase(editor, ws, session.id, "Running");
    const printed = await eventually(
      async () =>
        textOf(await transcriptOf(editor, ws, session.id)) +
        JSON.stringify(await transcriptOf(editor, ws, session.id)),
      (text) => text.includes("FOR_AGENT="),
    );
    expect(printed).toContain("FOR_AGENT=[redacted]");
    expect(printed).not.toContain("GOOGLE_DRIVE_TOKEN");
    expect(printed).not.toContain("SERVER_ONLY");
    expect(countLeaks(printed, [drive, serverOnly, forAgent])).toBe(0);
  });

  it("an MCP server's header naming an integration secret gets nothing: the server is failed, the value never sent", async () => {
    const { owner, editor, ws, put } = await team();
    const serverOnly = value("server");
    await put("SERVER_ONLY", { value: serverOnly, scope: "integration" });
    const created = await observe(
      await owner.api(`/api/workspaces/${ws}/mcp-servers`, {
        body: {
          name: "docs",
          url: "https://mcp.example.com/mcp",
          transport: "http",
          headers: { Authorization: "secret:SERVER_ONLY" },
        },
      }),
    );
    expect(created.status).toBe(201);
    const session = await createSession(editor, ws, { prompt: "hello" });
    await waitForPhase(editor, ws, session.id, "Running");
    const start = (await fakeAgent(session.id)).received.find((frame) => frame.type === "start");
    expect(start?.mcpServers).toEqual([
      expect.objectContaining({
        name: "docs",
        headers: {},
        failure: expect.stringContaining("integration secret"),
      }),
    ]);
    expect(countLeaks(JSON.stringify(start), [serverOnly])).toBe(0);
  });

  it("a change of value keeps the scope unless one is given; a bad scope is a 400 naming it", async () => {
    const { owner, ws, put } = await team();
    await put("SERVER_ONLY", { value: value("one"), scope: "integration" });
    await put("SERVER_ONLY", { value: value("two") });
    await put("GOOGLE_DRIVE_TOKEN", { value: value("drive"), scope: "agent" });
    const listed = (await (await owner.api(`/api/workspaces/${ws}/secrets`)).json()) as {
      secrets: { name: string; scope: string }[];
    };
    expect(Object.fromEntries(listed.secrets.map((s) => [s.name, s.scope]))).toEqual({
      GOOGLE_DRIVE_TOKEN: "agent",
      SERVER_ONLY: "integration",
    });
    const bad = await observe(
      await owner.api(`/api/workspaces/${ws}/secrets/X_Y`, {
        method: "PUT",
        body: { value: value("x"), scope: "everyone" },
      }),
    );
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ error: { code: "invalid_input", field: "scope" } });
  });

  it("a saved workspace's workbench gets no secret for changes, and only GITHUB_TOKEN and its GitHub's API URL to push", async () => {
    const { owner, ws, put } = await team();
    const github = value("ghp");
    const enterprise = `https://${value("ghe")}.example.com/api/v3`;
    await put("GITHUB_TOKEN", { value: github });
    await put("GITHUB_API_URL", { value: enterprise });
    await put("OTHER_TOKEN", { value: value("other") });
    const session = await createSession(owner, ws, { repos: [{ url: "https://github.com/acme/app.git" }] });
    await waitForPhase(owner, ws, session.id, "Running");
    const path = `/api/workspaces/${ws}/sessions/${session.id}`;
    await owner.api(`${path}/messages`, { body: { text: "/write repo-1/a.txt planted" } });
    await waitForAgentStatus(owner, ws, session.id, "idle");
    await owner.api(`${path}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, session.id, "Stopped");
    // The changes kept at save time go, so the workbench is asked for them.
    await env.ARTIFACTS.delete(`sessions/${session.id}/workspace-changes.json`);
    const before = ((await (await fetch(`${env.AGENT_URL}/control-workbench`)).json()) as unknown[]).length;
    expect((await observe(await owner.api(`${path}/changes`))).status).toBe(200);
    expect(
      (await observe(await owner.api(`${path}/push`, { body: { branch: "tandem/scoped" } }))).status,
    ).toBe(200);
    const calls = (
      (await (await fetch(`${env.AGENT_URL}/control-workbench`)).json()) as {
        action: string;
        secrets: Record<string, string>;
      }[]
    ).slice(before);
    expect(calls.map((call) => [call.action, call.secrets])).toEqual([
      ["changes", {}],
      // The API URL names the git host the token is for (GitHub Enterprise): without it the push has no credential.
      ["push", { GITHUB_TOKEN: github, GITHUB_API_URL: enterprise }],
    ]);
  });
});

describe("a value taken out of use", () => {
  for (const change of ["replaced", "deleted"] as const) {
    it(`${change}, is still redacted from what the agent says (a restored workspace may hold it)`, async () => {
      const { owner, ws, put } = await team();
      const old = value("old");
      await put("ROTATED", { value: old });
      if (change === "replaced") await put("ROTATED", { value: value("new") });
      else
        expect(
          (await observe(await owner.api(`/api/workspaces/${ws}/secrets/ROTATED`, { method: "DELETE" })))
            .status,
        ).toBe(204);
      // The fake agent echoes what it is told: the old value comes back as the agent's own text.
      const session = await createSession(owner, ws, { prompt: `remember ${old}` });
      await waitForPhase(owner, ws, session.id, "Running");
      const said = await eventually(
        async () =>
          JSON.stringify((await transcriptOf(owner, ws, session.id)).filter((m) => m.role === "assistant")),
        (text) => text.includes("echo: remember"),
      );
      expect(said).toContain("echo: remember [redacted]");
      expect(countLeaks(said, [old])).toBe(0);
      const exported = await (
        await owner.api(`/api/workspaces/${ws}/sessions/${session.id}/export?format=markdown`)
      ).text();
      expect(countLeaks(exported, [old])).toBe(0);
    });
  }
});

describe("what tar says", () => {
  it("a saved workspace that cannot be restored: the event quoting the agent's (tar's) words carries no secret", async () => {
    const { owner, ws, put } = await team();
    const secret = value("in-a-file-name");
    await put("NAMED_IN_A_FILE", { value: secret });
    const session = await createSession(owner, ws, {});
    await waitForPhase(owner, ws, session.id, "Running");
    const path = `/api/workspaces/${ws}/sessions/${session.id}`;
    await owner.api(`${path}/messages`, { body: { text: "/write notes.txt saved" } });
    await waitForAgentStatus(owner, ws, session.id, "idle");
    await owner.api(`${path}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, session.id, "Stopped");
    // An archive tar cannot unpack, one of whose members is named after the secret: tar quotes the name.
    await env.ARTIFACTS.put(`sessions/${session.id}/workspace.tar.gz`, `${secret}/x`);
    await owner.api(`${path}/resume`, { method: "POST" });
    const events = await eventually(
      async () =>
        (await (await owner.api(`${path}/events`)).json()) as { events: { type: string; reason?: string }[] },
      (body) => body.events.some((event) => event.type === "workspace_restore_failed"),
    );
    const failed = events.events.find((event) => event.type === "workspace_restore_failed")!;
    expect(failed.reason).toContain("Cannot open");
    expect(failed.reason).toContain("[redacted]");
    expect(countLeaks(JSON.stringify(events), [secret])).toBe(0);
  });
});
