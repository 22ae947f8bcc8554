/**
 * Usage as a way around a budget: the agent numbers its frames from 1 again in every incarnation, so a
 * stop and resume loop must not make its model requests free; a request that fails still costs what it
 * used; and no frame, whatever figures it carries, counts past what its model can take or give in one
 * request. Driven through the API with the scriptable agent host, whose usage frames are the gateway's.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { catalogOf } from "../../worker/models/catalog";
import { entryOf } from "@tandem/protocol/models";
import type { SessionUsage } from "@tandem/protocol/usage";
import { signIn, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import {
  createSession,
  eventually,
  getSession,
  waitForAgentStatus,
  waitForPhase,
} from "../worker/session-helpers";
import { observe, reportFigures } from "./probe";

reportFigures();

const MODEL = "claude-haiku-4-5";
const usageOf = async (client: Client, ws: string, id: string) =>
  (await getSession(client, ws, id)).usage as SessionUsage;

async function say(client: Client, ws: string, id: string, text: string) {
  expect(
    (await observe(await client.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text } })))
      .status,
  ).toBe(202);
}

async function monthSpent(client: Client, ws: string): Promise<number> {
  const res = await observe(await client.api(`/api/workspaces/${ws}/usage`));
  expect(res.status).toBe(200);
  return (JSON.parse(res.text) as { month: { spentUsd: number } }).month.spentUsd;
}

async function teamWithBudget(budgetUsd: number) {
  const owner = await signIn(uniqueName("owner"));
  const editor = await signIn(uniqueName("editor"));
  const ws = await workspaceWith(owner, [{ client: editor, role: "editor" }]);
  expect(
    (
      await observe(
        await owner.api(`/api/workspaces/${ws}`, { method: "PATCH", body: { monthlyBudgetUsd: budgetUsd } }),
      )
    ).status,
  ).toBe(200);
  return { owner, editor, ws };
}

describe("usage that cannot be dodged", () => {
  it("a stop and resume loop gets no request free: each incarnation's requests count, and the budget ends the loop (402)", async () => {
    const { editor, ws } = await teamWithBudget(0.5);
    // $0.20 a request (200,000 input tokens of Haiku 4.5 at $1 a million), the same frame numbers each time.
    const { id } = await createSession(editor, ws, { model: MODEL, prompt: "/usage 200000 0 0 0" });
    const path = `/api/workspaces/${ws}/sessions/${id}`;
    await waitForPhase(editor, ws, id, "Running");
    await eventually(
      () => usageOf(editor, ws, id),
      (u) => u.inputTokens === 200_000,
    );
    for (const incarnation of [2, 3]) {
      await waitForAgentStatus(editor, ws, id, "idle");
      expect((await observe(await editor.api(`${path}/stop`, { method: "POST" }))).status).toBe(202);
      await waitForPhase(editor, ws, id, "Stopped");
      expect((await observe(await editor.api(`${path}/resume`, { method: "POST" }))).status).toBe(202);
      await waitForPhase(editor, ws, id, "Running");
      await say(editor, ws, id, "/usage 200000 0 0 0");
      await eventually(
        () => usageOf(editor, ws, id),
        (u) => u.inputTokens === incarnation * 200_000,
      );
    }
    // $0.60 of $0.50: the session stops for the budget, and the loop's next resume is refused.
    expect(
      await eventually(
        () => monthSpent(editor, ws),
        (spent) => spent >= 0.6 - 1e-9,
        10_000,
      ),
    ).toBeCloseTo(0.6, 9);
    await waitForPhase(editor, ws, id, "Stopped", 10_000);
    const refused = await observe(await editor.api(`${path}/resume`, { method: "POST" }));
    expect(refused.status).toBe(402);
    expect(refused.errorShaped).toBe(true);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: "budget_exceeded" } });
  });

  it("a turn that ends in an error still counts the requests it made", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, { model: MODEL, prompt: "/usage-failed 3000 70" });
    const usage = await eventually(
      () => usageOf(owner, ws, id),
      (u) => u.inputTokens > 0,
    );
    expect(usage).toMatchObject({ inputTokens: 3000, outputTokens: 70 });
  });

  it("an agent reporting impossible figures is counted at most its model's limits per request", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, {
      model: MODEL,
      prompt: "/usage 10000000 10000000 10000000 10000000 2",
    });
    const { contextWindow, maxOutputTokens } = entryOf(catalogOf(env), MODEL);
    const usage = await eventually(
      () => usageOf(owner, ws, id),
      (u) => u.inputTokens >= 2 * contextWindow,
    );
    expect(usage).toMatchObject({
      inputTokens: 2 * contextWindow,
      outputTokens: 2 * maxOutputTokens,
      cacheReadTokens: 2 * contextWindow,
      cacheWriteTokens: 2 * contextWindow,
    });
  });
});
