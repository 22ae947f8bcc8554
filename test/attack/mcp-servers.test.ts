/**
 * A workspace's MCP servers are requests Tandem's sessions send to a URL an owner chose, with credentials:
 * outside AUTH_MODE=dev the URL must be https and must not name a private, loopback or link-local host
 * (refused at input with a 400 naming `url`, nothing stored); a header naming a secret the workspace does
 * not have is a 400 naming `headers`; a member's list never carries a header value.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { signIn, tokenClient, uniqueName, workspaceWith } from "../worker/helpers";
import { accessFetch, stubAccessKeys } from "./access";
import { observe, reportFigures } from "./probe";

reportFigures();

describe("MCP server URLs outside dev", () => {
  beforeAll(stubAccessKeys);
  afterAll(() => vi.restoreAllMocks());

  const refused = [
    "http://mcp.example.com/mcp",
    "https://127.0.0.1:8788/sessions",
    "https://localhost/",
    "https://LOCALHOST./x",
    "https://api.localhost/x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[fe80::1]/x",
    "https://[fd00::1]/x",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.5/x",
    "https://172.16.3.4/x",
    "https://192.168.1.1/x",
    "https://100.64.0.1/x",
    "https://0.0.0.0/x",
    "https://2130706433/x",
    "https://0x7f.1/x",
    "https://metadata.google.internal/x",
    "https://printer.local/x",
    "https://intranet/x",
  ];

  it("refuses plain http and private, loopback and link-local hosts with a 400 on url, storing nothing", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const cli = await tokenClient(owner);
    const asAccess = (path: string, method: string, body: unknown) =>
      accessFetch(path, {
        method,
        headers: { authorization: `Bearer ${cli.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (const url of refused) {
      const created = await observe(
        await asAccess(`/api/workspaces/${ws}/mcp-servers`, "POST", {
          name: "probe",
          url,
          transport: "http",
        }),
      );
      expect(created.status, url).toBe(400);
      expect(JSON.parse(created.text), url).toMatchObject({ error: { code: "invalid_input", field: "url" } });
    }
    expect(
      ((await (await owner.api(`/api/workspaces/${ws}/mcp-servers`)).json()) as { mcpServers: unknown[] })
        .mcpServers,
    ).toEqual([]);
    const ok = await observe(
      await asAccess(`/api/workspaces/${ws}/mcp-servers`, "POST", {
        name: "public",
        url: "https://mcp.example.com/mcp",
        transport: "sse",
      }),
    );
    expect(ok.status, ok.text).toBe(201);
    for (const url of refused.slice(0, 3)) {
      const replaced = await observe(
        await asAccess(`/api/workspaces/${ws}/mcp-servers/public`, "PUT", { url, transport: "http" }),
      );
      expect(replaced.status, url).toBe(400);
    }
    // In dev mode (the local default) a loopback server is allowed.
    expect(
      (
        await owner.api(`/api/workspaces/${ws}/mcp-servers`, {
          body: { name: "local", url: "http://127.0.0.1:9999/mcp", transport: "http" },
        })
      ).status,
    ).toBe(201);
  });

  it("refuses a header naming a missing secret, and shows members no header values", async () => {
    const owner = await signIn(uniqueName("owner"));
    const viewer = await signIn(uniqueName("viewer"));
    const ws = await workspaceWith(owner, [{ client: viewer, role: "viewer" }]);
    const missing = await owner.api(`/api/workspaces/${ws}/mcp-servers`, {
      body: {
        name: "docs",
        url: "https://mcp.example.com/",
        transport: "http",
        headers: { Authorization: "secret:NOPE" },
      },
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: "invalid_input", field: "headers" } });
    const literal = `literal-${crypto.randomUUID()}`;
    await owner.api(`/api/workspaces/${ws}/secrets/MCP_KEY`, {
      method: "PUT",
      body: { value: `key-${crypto.randomUUID()}` },
    });
    expect(
      (
        await owner.api(`/api/workspaces/${ws}/mcp-servers`, {
          body: {
            name: "docs",
            url: "https://mcp.example.com/",
            transport: "http",
            headers: { Authorization: "secret:MCP_KEY", "X-Key": literal },
          },
        })
      ).status,
    ).toBe(201);
    const listed = await observe(await viewer.api(`/api/workspaces/${ws}/mcp-servers`));
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(literal);
    expect(listed.text).not.toContain("MCP_KEY");
    const owned = await observe(await owner.api(`/api/workspaces/${ws}/mcp-servers`));
    expect(owned.text).not.toContain(literal);
  });
});
