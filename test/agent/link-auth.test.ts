/** The agent link's authentication, through the real agent host over real sockets (link-auth.ts). */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import { AGENT_PROOF_HEADER, LINK_NONCE_HEADER, agentProof } from "@tandem/protocol/agent-auth";
import { DoClient, HOST_KEY, linkHeaders, removeTempDirs, startFrame, tempDir, until } from "./helpers";

let host: AgentHost;
let counter = 0;
const newId = () => `link-${++counter}`;

beforeAll(async () => {
  host = await startAgentHost({
    key: HOST_KEY,
    port: 0,
    stateRoot: await tempDir("tandem-state-"),
    workspaceRoot: await tempDir("tandem-link-"),
    graceMs: 500,
    offlineTokenDelayMs: 1,
    log: () => {},
  });
});
afterAll(async () => {
  await host.close();
  await removeTempDirs();
});

/** Tries to open a session socket; resolves with the HTTP status of a refused upgrade, or "open". */
function tryUpgrade(sessionId: string, headers: Record<string, string>): Promise<number | "open"> {
  return new Promise((resolve) => {
    const ws = new WebSocket(
      `${host.url.replace(/^http/, "ws")}/sessions/${encodeURIComponent(sessionId)}/socket`,
      { headers },
    );
    ws.once("open", () => {
      ws.close();
      resolve("open");
    });
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once("error", () => {});
  });
}

describe("the agent link is authenticated", () => {
  it("refuses a socket without the session's token, with another session's token, or from a browser", async () => {
    const id = newId();
    expect(await tryUpgrade(id, {})).toBe(401);
    expect(await tryUpgrade(id, { authorization: "Bearer 00" })).toBe(401);
    expect(await tryUpgrade(id, { authorization: `Bearer ${HOST_KEY}` })).toBe(401);
    expect(await tryUpgrade(id, await linkHeaders("some-other-session"))).toBe(401);
    expect(await tryUpgrade(id, await linkHeaders(id, "another-host-key-0123456789abcdefgh"))).toBe(401);
    // A web page beside `npm start` sends an Origin; it is refused even with a valid token.
    expect(await tryUpgrade(id, { ...(await linkHeaders(id)), origin: "http://evil.example" })).toBe(403);
    expect(host.sessions.has(id)).toBe(false);
    expect(await tryUpgrade(id, await linkHeaders(id))).toBe("open");
  });

  it("a second start without the token cannot take over a live session's socket or get its frames replayed", async () => {
    const id = newId();
    const owner = await DoClient.connect(host.url, id);
    owner.send(startFrame(id));
    await owner.waitForStatus("idle");

    expect(await tryUpgrade(id, {})).toBe(401);
    expect(await tryUpgrade(id, { origin: "http://localhost:5173", ...(await linkHeaders(id)) })).toBe(403);
    // An attacker's socket for a session of its own choosing gets nothing of this one either.
    const intruder = await DoClient.connect(host.url, `${id}-x`);
    intruder.send(startFrame(id, { ackedUpTo: 0 }));
    await until(() => intruder.closed ?? undefined, "the mismatched start to be closed");
    expect(intruder.closed?.code).toBe(1008);
    expect(intruder.frames).toEqual([]);

    // The owner's socket is still the session's: a message is answered on it.
    owner.send({ type: "user_message", seq: 1, text: "still mine?", author: "alice" });
    await owner.waitForStatus("idle", 2);
    expect(owner.closed).toBeNull();
    expect(host.sessions.get(id)?.socket).not.toBeNull();
    await owner.close();
  });

  it("refuses artifact downloads without the token or from a browser; /health tells nothing", async () => {
    const id = newId();
    const client = await DoClient.connect(host.url, id);
    client.send(startFrame(id));
    await client.waitForStatus("idle");
    client.send({
      type: "user_message",
      seq: 1,
      text: "/write artifacts/report.txt private words",
      author: "alice",
    });
    await client.waitFor((f) => f.type === "artifact", "artifact frame");

    const url = `${host.url}/sessions/${id}/artifacts/report.txt`;
    const refused = await fetch(url);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: { code: "unauthenticated", message: expect.any(String) } });
    expect((await fetch(url, { headers: await linkHeaders("other") })).status).toBe(401);
    expect(
      (await fetch(url, { headers: { ...(await linkHeaders(id)), origin: "http://evil.example" } })).status,
    ).toBe(403);
    const allowed = await fetch(url, { headers: await linkHeaders(id) });
    expect(await allowed.text()).toBe("private words");

    expect(await (await fetch(`${host.url}/health`)).json()).toEqual({ ok: true });
    expect((await fetch(`${host.url}/health`, { headers: { origin: "http://evil.example" } })).status).toBe(
      403,
    );
    await client.close();
  });

  it("proves it holds the key to an authenticated caller's nonce, on the socket and over HTTP, and to no one else", async () => {
    const id = newId();
    const nonce = "0123456789abcdef0123456789abcdef";
    const expected = await agentProof(HOST_KEY, id, nonce);
    const upgraded = await new Promise<string | undefined>((resolve, reject) => {
      const ws = new WebSocket(`${host.url.replace(/^http/, "ws")}/sessions/${id}/socket`, {
        headers: { [LINK_NONCE_HEADER]: nonce },
      });
      ws.once("unexpected-response", (_req, res) => resolve(String(res.headers[AGENT_PROOF_HEADER] ?? "")));
      ws.once("error", reject);
    });
    expect(upgraded).toBe(""); // refused, and no proof for an unauthenticated caller
    const headers = { ...(await linkHeaders(id)), [LINK_NONCE_HEADER]: nonce };
    const signed = await new Promise<string | undefined>((resolve, reject) => {
      const ws = new WebSocket(`${host.url.replace(/^http/, "ws")}/sessions/${id}/socket`, { headers });
      ws.once("upgrade", (res) => resolve(res.headers[AGENT_PROOF_HEADER] as string | undefined));
      ws.once("open", () => ws.close());
      ws.once("error", reject);
    });
    expect(signed).toBe(expected);
    const download = await fetch(`${host.url}/sessions/${id}/artifacts/none.txt`, { headers });
    expect(download.status).toBe(404);
    expect(download.headers.get(AGENT_PROOF_HEADER)).toBe(expected);
    const malformed = await fetch(`${host.url}/sessions/${id}/artifacts/none.txt`, {
      headers: { ...(await linkHeaders(id)), [LINK_NONCE_HEADER]: "not a nonce" },
    });
    expect(malformed.headers.get(AGENT_PROOF_HEADER)).toBeNull();
  });

  it("listens on loopback by default and will not start without a strong key", async () => {
    expect(new URL(host.url).hostname).toBe("127.0.0.1");
    await expect(startAgentHost({ key: "", port: 0 })).rejects.toThrow(/AGENT_KEY/);
    await expect(startAgentHost({ key: "short", port: 0 })).rejects.toThrow(/AGENT_KEY/);

    // As `npm run agent` runs it: without AGENT_KEY the process exits instead of serving.
    const root = path.resolve(import.meta.dirname, "../..");
    const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["containers/agent/server.ts"], {
      cwd: root,
      env: { ...process.env, AGENT_KEY: "", PORT: "0" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/AGENT_KEY/);
  });
});
