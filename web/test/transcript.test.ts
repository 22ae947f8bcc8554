import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { peersOf } from "#lib/room.svelte.ts";
import { readSession, readToolUse, sessionInfo, shortInput } from "#lib/transcript.ts";

describe("transcript reading", () => {
  it("reads the session map with safe fallbacks", () => {
    const doc = new Y.Doc();
    expect(readSession(sessionInfo(doc))).toMatchObject({
      phase: null,
      agentStatus: null,
      runSeconds: 0,
      activeSince: null,
      artifacts: null,
    });
    doc.transact(() => {
      const m = sessionInfo(doc);
      m.set("phase", "Creating");
      m.set("step", "cloning repo 1 of 2");
      m.set("activeMs", 42_500);
      m.set("runBaseMs", 30_000);
      m.set("activeSince", 1000);
      m.set("timeoutSeconds", 300);
      m.set("agentModel", "offline");
      m.set("artifacts", [{ name: "report.md", size: 12 }, { bogus: true }]);
    });
    expect(readSession(sessionInfo(doc))).toMatchObject({
      phase: "Creating",
      step: "cloning repo 1 of 2",
      runSeconds: 12.5,
      activeSince: 1000,
      timeoutSeconds: 300,
      agentModel: "offline",
      artifacts: [{ name: "report.md", size: 12 }],
    });
  });

  it("reads the MCP servers' statuses, and none from a malformed value", () => {
    const doc = new Y.Doc();
    expect(readSession(sessionInfo(doc)).mcpServers).toEqual([]);
    const servers = [
      { name: "docs", status: "connected" },
      { name: "down", status: "failed", error: "connection refused" },
    ];
    sessionInfo(doc).set("mcpServers", servers);
    expect(readSession(sessionInfo(doc)).mcpServers).toEqual(servers);
    sessionInfo(doc).set("mcpServers", [{ name: "docs", status: "exploded" }]);
    expect(readSession(sessionInfo(doc)).mcpServers).toEqual([]);
  });

  it("reads the session's usage live, and nothing from a malformed one", () => {
    const doc = new Y.Doc();
    expect(readSession(sessionInfo(doc)).usage).toBeNull();
    const usage = {
      inputTokens: 1200,
      outputTokens: 300,
      cacheReadTokens: 5000,
      cacheWriteTokens: 0,
      costUsd: 0.0096,
    };
    sessionInfo(doc).set("usage", usage);
    expect(readSession(sessionInfo(doc)).usage).toEqual(usage);
    sessionInfo(doc).set("usage", { inputTokens: "lots" });
    expect(readSession(sessionInfo(doc)).usage).toBeNull();
  });

  it("reads tool calls in every state", () => {
    const doc = new Y.Doc();
    const b = doc.getMap("b");
    b.set("type", "tool_use");
    b.set("name", "bash");
    b.set("input", { command: "ls -la\n/tmp" });
    b.set("status", "running");
    expect(readToolUse(b)).toMatchObject({ name: "bash", status: "running", isError: false, result: "" });
    b.set("status", "error");
    b.set("isError", true);
    b.set("result", "exit 1");
    expect(readToolUse(b)).toMatchObject({ status: "error", isError: true, result: "exit 1" });
    b.set("status", "stopped");
    b.set("result", "partial output\n[stopped]");
    expect(readToolUse(b)).toMatchObject({
      status: "stopped",
      isError: true,
      result: "partial output\n[stopped]",
    });
  });

  it("summarises tool input on one line", () => {
    expect(shortInput({ command: "ls -la\n/tmp" })).toBe("ls -la /tmp");
    expect(shortInput({ path: "src/app.ts", content: "…" })).toBe("src/app.ts");
    expect(shortInput({ a: 1 })).toBe('{"a":1}');
    expect(shortInput("x".repeat(200), 10)).toHaveLength(10);
  });

  it("turns awareness states into peers, skipping malformed ones", () => {
    const states = new Map<number, Record<string, unknown>>([
      [1, { user: { id: "u1", name: "Ada", color: "#123456" }, typing: true }],
      [2, { user: { id: "u2", name: "Bo" } }],
      [3, { typing: true }],
    ]);
    const peers = peersOf(states, 2);
    expect(peers).toHaveLength(2);
    expect(peers[0]).toMatchObject({ name: "Ada", typing: true, self: false, color: "#123456" });
    expect(peers[1]).toMatchObject({ name: "Bo", typing: false, self: true });
    expect(peers[1].color).toMatch(/^#/);
  });
});
