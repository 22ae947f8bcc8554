/**
 * MCP servers of a workspace (SPEC §10): owners define them, members list them without header values,
 * and each session's start frame carries them with the secrets their headers name resolved, and nothing
 * of a header value reaches the transcript, the document, an export or an API answer.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mcpURLRefusal } from "../../worker/secrets/mcp-servers";
import { REDACTED } from "../../worker/secrets";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import {
  createSession,
  eventually,
  fakeAgent,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
} from "./session-helpers";
import { connectRoom, type RoomClient } from "./yjs-client";

async function team() {
  const [owner, editor, viewer, stranger] = await Promise.all(
    ["owner", "editor", "viewer", "stranger"].map((n) => signIn(uniqueName(n))),
  );
  const ws = await workspaceWith(owner, [
    { client: editor, role: "editor" },
    { client: viewer, role: "viewer" },
  ]);
  return { owner, editor, viewer, stranger, ws };
}

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; field?: string; message: string } }).error;

describe("MCP servers of a workspace", () => {
  it("are added, listed, replaced and removed by owners; members see header names only", async () => {
    const { owner, editor, viewer, stranger, ws } = await team();
    const token = `mcp-token-${crypto.randomUUID()}`;
    const literal = `literal-${crypto.randomUUID()}`;
    await owner.api(`/api/workspaces/${ws}/secrets/MCP_TOKEN`, { method: "PUT", body: { value: token } });
    const base = `/api/workspaces/${ws}/mcp-servers`;
    const created = await owner.api(base, {
      body: {
        name: "docs",
        url: "https://mcp.example.com/mcp",
        transport: "http",
        headers: { Authorization: "secret:MCP_TOKEN", "X-Team": literal },
      },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    expect(((await created.json()) as { mcpServer: unknown }).mcpServer).toMatchObject({
      name: "docs",
      url: "https://mcp.example.com/mcp",
      transport: "http",
      headerNames: ["Authorization", "X-Team"],
      secretHeaders: { Authorization: "MCP_TOKEN" },
    });
    const again = await owner.api(base, {
      body: { name: "docs", url: "https://other.example.com/", transport: "sse" },
    });
    expect(again.status).toBe(409);
    expect((await errorOf(again)).code).toBe("exists");

    for (const client of [owner, editor, viewer]) {
      const res = await client.api(base);
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text).not.toContain(token);
      expect(text).not.toContain(literal);
      const [server] = (JSON.parse(text) as { mcpServers: Record<string, unknown>[] }).mcpServers;
      expect(server).toMatchObject({ name: "docs", headerNames: ["Authorization", "X-Team"] });
      expect("secretHeaders" in server!).toBe(client === owner);
    }
    expect((await stranger.api(base)).status).toBe(404);
    for (const client of [editor, viewer]) {
      expect(
        (await client.api(base, { body: { name: "x", url: "https://x.example.com/", transport: "http" } }))
          .status,
      ).toBe(403);
      expect(
        (
          await client.api(`${base}/docs`, {
            method: "PUT",
            body: { url: "https://x.example.com/", transport: "http" },
          })
        ).status,
      ).toBe(403);
      expect((await client.api(`${base}/docs`, { method: "DELETE" })).status).toBe(403);
    }

    // The sealed row holds neither value; the header names and secret names only are in the clear.
    const row = await env.DB.prepare("SELECT * FROM mcp_servers WHERE workspace_id = ?").bind(ws).first();
    expect(JSON.stringify(row)).not.toContain(literal);

    const replaced = await owner.api(`${base}/docs`, {
      method: "PUT",
      body: { url: "https://mcp2.example.com/sse", transport: "sse" },
    });
    expect(replaced.status).toBe(200);
    expect(((await replaced.json()) as { mcpServer: unknown }).mcpServer).toMatchObject({
      url: "https://mcp2.example.com/sse",
      transport: "sse",
      headerNames: [],
    });
    expect(
      (
        await owner.api(`${base}/nope`, {
          method: "PUT",
          body: { url: "https://x.example.com/", transport: "http" },
        })
      ).status,
    ).toBe(404);
    expect((await owner.api(`${base}/docs`, { method: "DELETE" })).status).toBe(204);
    expect((await owner.api(`${base}/docs`, { method: "DELETE" })).status).toBe(404);
    expect(((await (await owner.api(base)).json()) as { mcpServers: unknown[] }).mcpServers).toEqual([]);
  });

  it("refuses bad input with a 400 naming the field, a missing secret included", async () => {
    const { owner, ws } = await team();
    const base = `/api/workspaces/${ws}/mcp-servers`;
    const ok = { name: "ok", url: "https://mcp.example.com/", transport: "http" };
    const cases: [unknown, string][] = [
      [{ ...ok, name: "Bad_Name" }, "name"],
      [{ ...ok, name: "-x" }, "name"],
      [{ ...ok, url: "ftp://mcp.example.com/" }, "url"],
      [{ ...ok, url: "not a url" }, "url"],
      [{ ...ok, url: "https://user:hunter2@mcp.example.com/" }, "url"],
      [{ ...ok, transport: "stdio" }, "transport"],
      [{ ...ok, headers: { "Bad Header": "v" } }, "headers"],
      [{ ...ok, headers: { Host: "evil.example.com" } }, "headers"],
      [{ ...ok, headers: { "X-A": "line\r\nInjected: 1" } }, "headers"],
      [{ ...ok, headers: { "X-A": "x".repeat(8 * 1024 + 1) } }, "headers"],
      [
        { ...ok, headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-${i}`, "v"])) },
        "headers",
      ],
      [{ ...ok, headers: { Authorization: "secret:not a name" } }, "headers"],
      [{ ...ok, headers: { Authorization: "secret:NO_SUCH_SECRET" } }, "headers"],
    ];
    for (const [body, field] of cases) {
      const res = await owner.api(base, { body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const error = await errorOf(res);
      expect(error.field, JSON.stringify(body).slice(0, 80)).toMatch(new RegExp(`^${field}`));
    }
    expect(((await (await owner.api(base)).json()) as { mcpServers: unknown[] }).mcpServers).toEqual([]);
  });

  it("are limited to 20 a workspace", async () => {
    const { owner, ws } = await team();
    const base = `/api/workspaces/${ws}/mcp-servers`;
    for (let i = 0; i < 20; i++)
      expect(
        (
          await owner.api(base, {
            body: { name: `s${i}`, url: `https://s${i}.example.com/`, transport: "http" },
          })
        ).status,
      ).toBe(201);
    const over = await owner.api(base, {
      body: { name: "s20", url: "https://s20.example.com/", transport: "http" },
    });
    expect(over.status).toBe(400);
    expect((await errorOf(over)).message).toContain("at most 20");
  });

  it("follow the callbacks' URL rules outside dev: https only, no private, loopback or link-local host", () => {
    for (const url of [
      "http://mcp.example.com/",
      "https://127.0.0.1/",
      "https://10.0.0.8/",
      "https://169.254.169.254/",
      "https://[::1]/",
      "https://[::ffff:127.0.0.1]/",
      "https://localhost/",
      "https://mcp.internal/",
      "https://intranet/",
    ]) {
      expect(mcpURLRefusal(url, "access"), url).not.toBeNull();
    }
    expect(mcpURLRefusal("https://mcp.example.com/mcp", "access")).toBeNull();
    expect(mcpURLRefusal("http://127.0.0.1:9999/mcp", "dev")).toBeNull();
  });
});

describe("a session's MCP servers", () => {
  it("reach the agent's start frame with secrets resolved, are shown by status, and their header values by no one", async () => {
    const { owner, viewer, ws } = await team();
    const token = `mcp-token-${crypto.randomUUID()}`;
    const literal = `literal-${crypto.randomUUID()}`;
    await owner.api(`/api/workspaces/${ws}/secrets/MCP_TOKEN`, { method: "PUT", body: { value: token } });
    await owner.api(`/api/workspaces/${ws}/secrets/GONE_TOKEN`, {
      method: "PUT",
      body: { value: `gone-${crypto.randomUUID()}` },
    });
    const base = `/api/workspaces/${ws}/mcp-servers`;
    await owner.api(base, {
      body: {
        name: "docs",
        url: "http://127.0.0.1:9/mcp",
        transport: "http",
        headers: { Authorization: "secret:MCP_TOKEN", "X-Team": literal },
      },
    });
    await owner.api(base, {
      body: {
        name: "stale",
        url: "https://stale.example.com/",
        transport: "sse",
        headers: { Authorization: "secret:GONE_TOKEN" },
      },
    });
    // Deleted after the server named it: the session starts all the same, with that server failed.
    await owner.api(`/api/workspaces/${ws}/secrets/GONE_TOKEN`, { method: "DELETE" });

    const session = await createSession(owner, ws, { prompt: "hello" });
    await waitForPhase(owner, ws, session.id, "Running");
    const start = (await fakeAgent(session.id)).received.find((frame) => frame.type === "start");
    expect(start?.mcpServers).toEqual([
      {
        name: "docs",
        url: "http://127.0.0.1:9/mcp",
        transport: "http",
        headers: { Authorization: token, "X-Team": literal },
        failure: null,
        privateHostsAllowed: true,
      },
      {
        name: "stale",
        url: "https://stale.example.com/",
        transport: "sse",
        headers: {},
        failure: expect.stringContaining("GONE_TOKEN"),
        privateHostsAllowed: true,
      },
    ]);

    const room = (await connectRoom(session.id, { cookie: viewer.cookie })) as RoomClient;
    await room.synced;
    await waitForAgentStatus(owner, ws, session.id, "idle");
    await owner.api(`/api/workspaces/${ws}/sessions/${session.id}/messages`, { body: { text: "/mcp" } });
    const servers = await eventually(
      async () =>
        room.doc.getMap("session").get("mcpServers") as
          { name: string; status: string; error?: string }[] | undefined,
      (value) => Array.isArray(value),
    );
    expect(servers).toEqual([
      { name: "docs", status: "connected" },
      { name: "stale", status: "failed", error: expect.stringContaining("the workspace does not have") },
    ]);
    // The fake agent printed the headers, as a careless MCP client might log them: redacted on the way in.
    await eventually(
      () => transcriptOf(owner, ws, session.id),
      (messages) => JSON.stringify(messages).includes("docs X-Team"),
    );
    const shown = JSON.stringify(await transcriptOf(viewer, ws, session.id));
    expect(shown).toContain(`docs X-Team: ${REDACTED}`);
    for (const path of [
      `/sessions/${session.id}`,
      `/sessions/${session.id}/events`,
      `/sessions/${session.id}/transcript`,
      `/sessions/${session.id}/export?format=markdown`,
      "/mcp-servers",
    ]) {
      const text = await (await viewer.api(`/api/workspaces/${ws}${path}`)).text();
      expect(text, path).not.toContain(token);
      expect(text, path).not.toContain(literal);
    }
    const doc = JSON.stringify(room.doc.toJSON());
    expect(doc).not.toContain(token);
    expect(doc).not.toContain(literal);
    room.close();
  });
});
