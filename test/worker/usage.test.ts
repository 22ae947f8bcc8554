import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { catalogOf } from "../../worker/models/catalog";
import { costUsd, dayOf, entryOf } from "@tandem/protocol/models";
import type { SessionUsage, WorkspaceUsage } from "@tandem/protocol/usage";
import { signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import {
  createSession,
  eventually,
  getSession,
  restartRoom,
  textOf,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
} from "./session-helpers";

const usageOf = async (client: Client, ws: string, id: string) =>
  (await getSession(client, ws, id)).usage as SessionUsage;

async function say(client: Client, ws: string, id: string, text: string) {
  const res = await client.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text } });
  expect(res.status).toBe(202);
}

async function workspaceUsage(client: Client, ws: string, query = "") {
  const res = await client.api(`/api/workspaces/${ws}/usage${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as WorkspaceUsage;
}

describe("a session's usage", () => {
  it("sums every turn's tokens with their cost, survives a restart, and a clone starts at zero", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, {
      model: "claude-haiku-4-5",
      prompt: "/usage 1000 200 3000 400",
    });
    await waitForPhase(owner, ws, id, "Running");
    await eventually(
      () => usageOf(owner, ws, id),
      (u) => u.inputTokens === 1000,
    );
    await waitForAgentStatus(owner, ws, id, "idle");
    await say(owner, ws, id, "/usage 500 100 0 0");
    const usage = await eventually(
      () => usageOf(owner, ws, id),
      (u) => u.inputTokens === 1500,
    );
    const tokens = { inputTokens: 1500, outputTokens: 300, cacheReadTokens: 3000, cacheWriteTokens: 400 };
    // Haiku 4.5: $1 in, $5 out, $0.10 cache read, $1.25 cache write per million tokens.
    expect(usage).toEqual({
      ...tokens,
      costUsd: expect.closeTo((1500 * 1 + 300 * 5 + 3000 * 0.1 + 400 * 1.25) / 1e6, 12),
    });
    expect(usage.costUsd).toBeCloseTo(
      costUsd(entryOf(catalogOf(env), "claude-haiku-4-5").pricing, tokens),
      12,
    );

    await restartRoom(id);
    expect(await usageOf(owner, ws, id)).toEqual(usage);

    const cloned = await owner.api(`/api/workspaces/${ws}/sessions/${id}/clone`, { method: "POST" });
    expect(cloned.status).toBe(201);
    const { session: clone } = (await cloned.json()) as { session: { usage: SessionUsage } };
    expect(clone.usage).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0,
    });
  });

  it("counts every model request once across a stop and a resume, whose agent numbers its frames from 1 again", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, {
      model: "claude-haiku-4-5",
      prompt: "/usage 1000 100 0 0 3",
    });
    await waitForPhase(owner, ws, id, "Running");
    await eventually(
      () => usageOf(owner, ws, id),
      (u) => u.inputTokens === 3000,
    );
    await waitForAgentStatus(owner, ws, id, "idle");
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/stop`, { method: "POST" })).status).toBe(
      202,
    );
    await waitForPhase(owner, ws, id, "Stopped");
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/resume`, { method: "POST" })).status).toBe(
      202,
    );
    await waitForPhase(owner, ws, id, "Running");
    // The new agent's frames carry the seqs the first one's did: each request still counts.
    await say(owner, ws, id, "/usage 1000 100 0 0 3");
    await eventually(
      () => usageOf(owner, ws, id),
      (u) => u.inputTokens === 6000,
    );
    await restartRoom(id);
    expect((await usageOf(owner, ws, id)).inputTokens).toBe(6000);
    const report = await eventually(
      () => workspaceUsage(owner, ws),
      (u) => u.days.reduce((n, d) => n + d.requests, 0) === 6,
    );
    expect(report.days[0]).toMatchObject({ requests: 6, inputTokens: 6000, outputTokens: 600 });
  });

  it("bounds a request's figures by what its model can take or give in one request", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    // Haiku 4.5: a 200,000-token window, 64,000 tokens of output at most.
    const { id } = await createSession(owner, ws, {
      model: "claude-haiku-4-5",
      prompt: "/usage 9000000 9000000 9000000 9000000",
    });
    const usage = await eventually(
      () => usageOf(owner, ws, id),
      (u) => u.inputTokens > 0,
    );
    const { contextWindow, maxOutputTokens } = entryOf(catalogOf(env), "claude-haiku-4-5");
    expect(usage).toMatchObject({
      inputTokens: contextWindow,
      outputTokens: maxOutputTokens,
      cacheReadTokens: contextWindow,
      cacheWriteTokens: contextWindow,
    });
  });

  it("an echo turn without cache figures counts zero cache tokens", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, { prompt: "hello" });
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("echo: hello"),
    );
    const usage = await eventually(
      () => usageOf(owner, ws, id),
      (u) => u.inputTokens > 0,
    );
    expect(usage).toMatchObject({
      inputTokens: 10,
      outputTokens: 5,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
  });
});

describe("the workspace's usage", () => {
  it("answers per day and model for members, from the turns its sessions reported", async () => {
    const owner = await signIn(uniqueName("owner"));
    const viewer = await signIn(uniqueName("viewer"));
    const stranger = await signIn(uniqueName("stranger"));
    const ws = await workspaceWith(owner, [{ client: viewer, role: "viewer" }]);
    const a = await createSession(owner, ws, { model: "claude-haiku-4-5", prompt: "/usage 1000 100 0 0" });
    const b = await createSession(owner, ws, { model: "claude-haiku-4-5", prompt: "/usage 2000 200 0 0" });
    const c = await createSession(owner, ws, { model: "claude-opus-4-6", prompt: "/usage 10 1 0 0" });
    const today = dayOf(Date.now());
    const report = await eventually(
      () => workspaceUsage(viewer, ws),
      (u) => u.days.reduce((n, d) => n + d.requests, 0) === 3,
    );
    expect(report.to).toBe(today);
    expect(report.days).toEqual([
      {
        day: today,
        model: "claude-haiku-4-5",
        requests: 2,
        inputTokens: 3000,
        outputTokens: 300,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: expect.closeTo((3000 + 1500) / 1e6, 12),
      },
      {
        day: today,
        model: "claude-opus-4-6",
        requests: 1,
        inputTokens: 10,
        outputTokens: 1,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: expect.closeTo((50 + 25) / 1e6, 12),
      },
    ]);
    expect(report.month).toEqual({
      month: today.slice(0, 7),
      spentUsd: expect.closeTo(4575 / 1e6, 12),
      budgetUsd: null,
    });
    // The same turns as the sessions' own totals.
    const sessions = await Promise.all([a, b, c].map((s) => usageOf(owner, ws, s.id)));
    expect(sessions.reduce((sum, u) => sum + u.costUsd, 0)).toBeCloseTo(report.month.spentUsd, 12);

    // A deleted session's spend stays in the workspace's totals.
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${c.id}`, { method: "DELETE" })).status).toBe(
      204,
    );
    expect((await workspaceUsage(owner, ws)).days).toHaveLength(2);

    expect((await workspaceUsage(owner, ws, "?from=2020-01-01&to=2020-01-31")).days).toEqual([]);
    expect((await stranger.api(`/api/workspaces/${ws}/usage`)).status).toBe(404);
    for (const bad of [
      "?from=2026-13-01",
      "?from=yesterday",
      "?from=2026-02-01&to=2026-01-01",
      "?from=2020-01-01&to=2026-01-01",
    ]) {
      const res = await owner.api(`/api/workspaces/${ws}/usage${bad}`);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_input");
    }
  });
});
