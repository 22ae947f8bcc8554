/**
 * A workspace's MCP servers through the real Claude Code CLI and the agent host's MCP proxy: a real MCP
 * server (the MCP SDK's own) on loopback over Streamable HTTP and SSE, with the header the room resolved
 * from a secret (added by the proxy: no process's command line or environment holds it); one that does
 * not answer, one whose name resolves to loopback while private hosts are not allowed, one that redirects to
 * another origin, one whose SSE endpoint names another origin, and one the room already refused (a secret
 * deleted since). The session starts with each one's status, and a tool call against the live server is a
 * tool call like any other, named `mcp__<server>__<tool>`.
 */
import { readdir, readFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FromAgentFrame, StartMcpServer } from "@tandem/protocol/agent";
import { type ClaudeHarness, reply, startClaudeHarness } from "./claude-harness";
import { removeTempDirs, until } from "./helpers";
import { type FakeMcpServer, startFakeMcpServer } from "../fakes/mcp-server";
import { freePort } from "../harness/ports";

let h: ClaudeHarness;
let mcp: FakeMcpServer;
beforeAll(async () => {
  [h, mcp] = await Promise.all([startClaudeHarness("mcp"), startFakeMcpServer()]);
});
afterAll(async () => {
  await Promise.all([h.close(), mcp.close()]);
  await removeTempDirs();
});

/** Every process's command line and environment on this machine, as text, by pid. */
async function processTexts(): Promise<Map<number, string>> {
  const texts = new Map<number, string>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const read = (file: string) => readFile(`/proc/${entry}/${file}`, "utf8").catch(() => "");
    texts.set(Number(entry), `${await read("cmdline")}\n${await read("environ")}`);
  }
  return texts;
}

const ofType = <T extends FromAgentFrame["type"]>(frames: FromAgentFrame[], type: T) =>
  frames.filter((f): f is Extract<FromAgentFrame, { type: T }> => f.type === type);

describe("a workspace's MCP servers in Claude Code", () => {
  it("connects to the live ones with their headers, reports the others failed with a reason, and runs an MCP tool call", async () => {
    const token = `Bearer mcp-${crypto.randomUUID()}`;
    const silent = await freePort();
    const server = (name: string, url: string, extra: Partial<StartMcpServer> = {}): StartMcpServer => ({
      name,
      url,
      transport: "http",
      headers: {},
      failure: null,
      privateHostsAllowed: true,
      ...extra,
    });
    const localhost = mcp.origin.replace("127.0.0.1", "localhost");
    mcp.redirects.set("/away", `${localhost}/mcp`);
    const mcpServers = [
      server("docs", `${mcp.origin}/mcp`, { headers: { Authorization: token } }),
      server("hop", `${mcp.origin}/away`, { headers: { Authorization: token } }),
      server("foreign", `${mcp.origin}/sse-foreign`, { transport: "sse" }),
      server("legacy", `${mcp.origin}/sse`, { transport: "sse", headers: { Authorization: token } }),
      server("down", `http://127.0.0.1:${silent}/mcp`),
      server("sneaky", `${mcp.origin.replace("127.0.0.1", "localhost")}/mcp`, { privateHostsAllowed: false }),
      server("stale", "https://stale.example.com/mcp", {
        failure:
          "not connected: the header Authorization names the secret GONE, which the workspace does not have",
      }),
    ];
    const { client } = await h.open({ mcpServers });
    const settled = await until(
      () => {
        const last = ofType(client.frames, "mcp_status").at(-1);
        return last && !last.servers.some((s) => s.status === "pending") ? last.servers : undefined;
      },
      "a settled MCP status",
      30_000,
    );
    const byName = Object.fromEntries(settled.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual([
      "docs",
      "down",
      "foreign",
      "hop",
      "legacy",
      "sneaky",
      "stale",
    ]);
    expect(byName.docs).toEqual({ name: "docs", status: "connected" });
    expect(byName.legacy).toEqual({ name: "legacy", status: "connected" });
    expect(byName.down).toMatchObject({ status: "failed" });
    expect(byName.down!.error?.length).toBeGreaterThan(0);
    expect(byName.sneaky).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/localhost resolves to (127\.0\.0\.1|::1), a loopback address/),
    });
    expect(byName.stale).toMatchObject({ status: "failed", error: expect.stringContaining("GONE") });
    // Refused by the proxy at connect time, with its reason (the CLI alone would say only "HTTP 502").
    expect(byName.hop).toEqual({
      name: "hop",
      status: "failed",
      error: `${new URL(mcp.origin).host} redirected to ${localhost}, another origin: not followed`,
    });
    expect(byName.foreign).toMatchObject({
      status: "failed",
      error: expect.stringMatching(
        /^the server's SSE endpoint "http:\/\/localhost:\d+\/messages" is not on its own origin/,
      ),
    });
    // The credential is in no process's command line or environment (the SDK hands Claude Code its MCP
    // servers over stdin: mcp-proxy.test.ts checks that config holds the proxy's URLs and no header).
    const texts = await processTexts();
    expect([...texts.entries()].filter(([, text]) => text.includes(token.slice("Bearer ".length)))).toEqual(
      [],
    );
    // The credential went to the server, and to nothing the room receives.
    expect(mcp.requests.some((r) => r.path === "/mcp" && r.headers.authorization === token)).toBe(true);
    expect(mcp.requests.some((r) => r.path === "/sse" && r.headers.authorization === token)).toBe(true);
    expect(mcp.requests.some((r) => r.headers.host?.startsWith("localhost"))).toBe(false);

    h.enqueue(
      reply.tool("toolu_mcp", "mcp__docs__echo", { text: "hello MCP" }),
      reply.text("The server echoed."),
    );
    client.send({ type: "user_message", seq: 1, text: "call the docs server", author: "alice" });
    await client.waitForStatus("idle", 2);
    const use = ofType(client.frames, "tool_use").find((f) => f.id === "toolu_mcp");
    expect(use).toMatchObject({ name: "mcp__docs__echo", input: { text: "hello MCP" } });
    expect(ofType(client.frames, "tool_result").find((f) => f.id === "toolu_mcp")).toMatchObject({
      output: expect.stringContaining("echo from MCP: hello MCP"),
      isError: false,
    });
    expect(mcp.calls).toEqual(["hello MCP"]);
    // The model was offered the live servers' tools in the prompt (alwaysLoad), not the failed ones'.
    const tools = (h.api.requests.at(-2)?.body.tools ?? []).map((tool: { name: string }) => tool.name);
    expect(tools).toEqual(expect.arrayContaining(["mcp__docs__echo", "mcp__legacy__echo"]));
    expect(tools.some((name: string) => /^mcp__(down|sneaky|hop|foreign)__/.test(name))).toBe(false);
    expect(client.raw.join("\n")).not.toContain(token.slice("Bearer ".length));
    expect(client.invalid).toEqual([]);
  }, 90_000);

  it("starts the session while a server accepts connections and never answers, then reports that server failed", async () => {
    const held: Socket[] = [];
    const hanging = createServer((socket) => {
      socket.on("error", () => undefined);
      held.push(socket);
    });
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    const { port } = hanging.address() as { port: number };
    try {
      const began = Date.now();
      const { client } = await h.open({
        mcpServers: [
          {
            name: "mute",
            url: `http://127.0.0.1:${port}/mcp`,
            transport: "http",
            headers: {},
            failure: null,
            privateHostsAllowed: true,
          },
        ],
      });
      const readyAfter = Date.now() - began;
      const failed = await until(
        () => ofType(client.frames, "mcp_status").find((f) => f.servers[0]?.status === "failed"),
        "the mute server failed",
        30_000,
      );
      const failedAfter = Date.now() - began;
      console.log(
        `mute MCP server: session idle after ${readyAfter} ms, reported failed after ${failedAfter} ms: ${failed.servers[0]?.error}`,
      );
      expect(failed.servers[0]).toMatchObject({
        name: "mute",
        status: "failed",
        error: expect.stringContaining("timed out after 10000ms"),
      });
      // The session did not wait for it: people could talk to Claude while it was pending.
      expect(readyAfter).toBeLessThan(failedAfter);
    } finally {
      for (const socket of held) socket.destroy();
      hanging.close();
    }
  }, 90_000);
});
