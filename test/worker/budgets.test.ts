import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SessionUsage } from "@tandem/protocol/usage";
import { signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import {
  createSession,
  eventsOf,
  eventually,
  getSession,
  waitForAgentStatus,
  waitForPhase,
} from "./session-helpers";

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string; field?: string } }).error;

async function setBudget(owner: Client, ws: string, monthlyBudgetUsd: number | null) {
  const res = await owner.api(`/api/workspaces/${ws}`, { method: "PATCH", body: { monthlyBudgetUsd } });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { workspace: { monthlyBudgetUsd: number | null } }).workspace;
}

async function say(client: Client, ws: string, id: string, text: string) {
  const res = await client.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text } });
  expect(res.status).toBe(202);
}

/** A Running Haiku session ($1 a million input tokens), idle after its first turn. */
async function running(owner: Client, ws: string) {
  const { id } = await createSession(owner, ws, { model: "claude-haiku-4-5", prompt: "hello" });
  await waitForPhase(owner, ws, id, "Running");
  await waitForAgentStatus(owner, ws, id, "idle");
  return id;
}

const sinkOf = (ws: string) => `${env.AGENT_URL}/callback/sink?ws=${ws}`;
async function callbacksTo(ws: string) {
  const all = (await (await fetch(`${env.AGENT_URL}/control-callbacks`)).json()) as {
    headers: Record<string, string>;
    body: string;
  }[];
  return all
    .map((c) => ({
      headers: c.headers,
      body: JSON.parse(c.body) as {
        type: string;
        workspace?: { id: string };
        budget?: { spentUsd: number; budgetUsd: number };
      },
    }))
    .filter((c) => c.body.workspace?.id === ws || JSON.stringify(c.body).includes(ws));
}

describe("a workspace's monthly budget", () => {
  it("is set by owners only, validated, shown with the workspace, and removed with null", async () => {
    const owner = await signIn(uniqueName("owner"));
    const editor = await signIn(uniqueName("editor"));
    const ws = await workspaceWith(owner, [{ client: editor, role: "editor" }]);
    expect((await setBudget(owner, ws, 25.5)).monthlyBudgetUsd).toBe(25.5);
    const shown = (await (await editor.api(`/api/workspaces/${ws}`)).json()) as {
      workspace: { monthlyBudgetUsd: number };
    };
    expect(shown.workspace.monthlyBudgetUsd).toBe(25.5);
    expect(
      (await editor.api(`/api/workspaces/${ws}`, { method: "PATCH", body: { monthlyBudgetUsd: 1 } })).status,
    ).toBe(403);
    for (const bad of [0, -1, "10", 2_000_000]) {
      const res = await owner.api(`/api/workspaces/${ws}`, {
        method: "PATCH",
        body: { monthlyBudgetUsd: bad },
      });
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: "invalid_input", field: "monthlyBudgetUsd" });
    }
    expect((await setBudget(owner, ws, null)).monthlyBudgetUsd).toBeNull();
  });

  it("warns the workspace callback once at 80%; when reached, stops every running session (reason budget) and refuses new ones with 402", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    expect(
      (await owner.api(`/api/workspaces/${ws}/callback`, { method: "PUT", body: { url: sinkOf(ws) } }))
        .status,
    ).toBe(200);
    await setBudget(owner, ws, 10);
    const a = await running(owner, ws);
    const b = await running(owner, ws);

    // $8.50 of $10 (50 requests of 170,000 input tokens): a warning, once.
    await say(owner, ws, a, "/usage 170000 0 0 0 50");
    const warned = await eventually(
      () => callbacksTo(ws),
      (c) => c.some((x) => x.body.type === "workspace.budget_warning"),
      10_000,
    );
    // The warning carries the spend when it crossed $8: all $8.50 when the usage arrives at once, less
    // when a busy machine delivers the 50 requests' usage in parts.
    const warning = warned.find((x) => x.body.type === "workspace.budget_warning");
    expect(warning).toMatchObject({
      headers: { "x-tandem-event": "workspace.budget_warning" },
      body: { budget: { budgetUsd: 10 } },
    });
    expect(warning?.body.budget?.spentUsd).toBeGreaterThanOrEqual(8);
    expect(warning?.body.budget?.spentUsd).toBeLessThanOrEqual(8.5 + (2 * (10 * 1 + 5 * 5)) / 1e6 + 1e-9);
    await waitForAgentStatus(owner, ws, a, "idle");
    await say(owner, ws, a, "/usage 100000 0 0 0");
    await eventually(
      () => getSession(owner, ws, a),
      (s) => (s.usage as SessionUsage).inputTokens > 8_600_000,
    );
    expect((await getSession(owner, ws, b)).phase).toBe("Running");

    // Past $10: a and b both stop, gracefully, with reason budget.
    await waitForAgentStatus(owner, ws, a, "idle");
    await say(owner, ws, a, "/usage 200000 0 0 0 10");
    for (const id of [a, b]) {
      await waitForPhase(owner, ws, id, "Stopped", 10_000);
      const events = await eventsOf(owner, ws, id);
      expect(
        events.some((e) => e.phase === "Stopping" && e.reason === "budget"),
        JSON.stringify(events),
      ).toBe(true);
    }
    const reached = await eventually(
      () => callbacksTo(ws),
      (c) => c.some((x) => x.body.type === "workspace.budget_reached"),
      10_000,
    );
    expect(reached.filter((x) => x.body.type === "workspace.budget_warning")).toHaveLength(1);
    expect(reached.filter((x) => x.body.type === "workspace.budget_reached")).toHaveLength(1);

    const refused = await owner.api(`/api/workspaces/${ws}/sessions`, { body: {} });
    expect(refused.status).toBe(402);
    expect((await errorOf(refused)).code).toBe("budget_exceeded");
    const resumed = await owner.api(`/api/workspaces/${ws}/sessions/${a}/resume`, { method: "POST" });
    expect(resumed.status).toBe(402);

    // Raised: sessions start again.
    await setBudget(owner, ws, 100);
    expect((await owner.api(`/api/workspaces/${ws}/sessions`, { body: {} })).status).toBe(201);
  });

  it("set below what the month has spent already, stops the running sessions at once", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const id = await running(owner, ws);
    await say(owner, ws, id, "/usage 200000 0 0 0 5");
    await eventually(
      () => getSession(owner, ws, id),
      (s) => (s.usage as SessionUsage).costUsd >= 1,
    );
    await eventually(
      async () =>
        (await (await owner.api(`/api/workspaces/${ws}/usage`)).json()) as { month: { spentUsd: number } },
      (u) => u.month.spentUsd >= 1,
    );
    await setBudget(owner, ws, 0.5);
    await waitForPhase(owner, ws, id, "Stopped", 10_000);
    expect((await eventsOf(owner, ws, id)).some((e) => e.reason === "budget")).toBe(true);
  });
});
