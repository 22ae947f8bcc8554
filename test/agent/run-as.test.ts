/**
 * Claude Code as another user than the host (`AGENT_CLI_USER`, the container's non-root user under a root
 * host): its commands run as that user, in a workspace it owns; what the host keeps (`host.json`) it cannot
 * change; the host's own git still reads the workspace (changes). Root only: elsewhere there is no user to
 * switch to.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Changes } from "@tandem/protocol/git";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import {
  DoClient,
  HOST_KEY,
  linkHeaders,
  makeBareRepo,
  removeTempDirs,
  startFrame,
  tempDir,
} from "./helpers";

const root = process.getuid?.() === 0;
const NOBODY = { uid: 65534, gid: 65534 };
let host: AgentHost;

beforeAll(async () => {
  if (!root) return;
  host = await startAgentHost({
    key: HOST_KEY,
    port: 0,
    workspaceRoot: await tempDir("tandem-runas-ws-"),
    archiveRoot: await tempDir("tandem-runas-arch-"),
    stateRoot: await tempDir("tandem-runas-state-"),
    graceMs: 200,
    offlineTokenDelayMs: 1,
    runAs: NOBODY,
    log: () => {},
  });
});
afterAll(async () => {
  await host?.close();
  await removeTempDirs();
});

describe.skipIf(!root)("Claude Code as the container's non-root user", () => {
  it("runs its commands as that user, cannot change what the host keeps, and the host's git still reads its edits", async () => {
    const repo = await makeBareRepo("app");
    const id = "run-as-1";
    const client = await DoClient.connect(host.url, id);
    client.send(startFrame(id, { repos: [{ url: repo.url, branch: "main" }] }));
    await client.waitForStatus("idle");
    const command =
      'id -u; echo "an edit" >> app/README.md; (echo tampered >> "$CLAUDE_CONFIG_DIR/../host.json" && echo host.json changed) 2>&1 | tail -1';
    client.send({ type: "user_message", seq: 1, text: `/run ${command}`, author: "alice" });
    await client.waitForStatus("idle", 2);
    const output = client.of("tool_result")[0].output;
    expect(output.split("\n")[0]).toBe(String(NOBODY.uid));
    expect(output).toMatch(/Permission denied/);
    expect(output).not.toContain("host.json changed");

    const res = await fetch(`${host.url}/sessions/${id}/changes`, { headers: await linkHeaders(id) });
    const changes = (await res.json()) as Changes;
    expect(res.status, JSON.stringify(changes)).toBe(200);
    expect(changes.repos[0].files).toMatchObject([
      { path: "README.md", status: "modified", additions: 1, deletions: 0 },
    ]);
    await client.close();
  });
});
