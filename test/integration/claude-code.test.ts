/**
 * What Tandem keeps around Claude Code, through the Worker, the real agent host and the real CLI, whose
 * gateway forwards to the fake Messages API: usage and cost from the gateway's figures, counted once per
 * request across a stop and a resume; the budget stopping a session at 100% and refusing new ones (402);
 * a Claude Code that dies is a lost turn, never a stuck session; a deprecated model's end of life said once.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { FakeResponse } from "../fakes/anthropic";
import type { SessionUsage } from "@tandem/protocol/usage";
import { signIn, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import {
  createSession,
  eventsOf,
  eventually,
  getSession,
  textOf,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
} from "../worker/session-helpers";

const control = (path: string, body?: unknown) =>
  fetch(`${env.TEST_CONTROL_URL}${path}`, {
    method: "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const script = (...responses: FakeResponse[]) => control("/anthropic/enqueue", responses);
const text = (value: string, usage = { input_tokens: 1000, output_tokens: 100 }): FakeResponse => ({
  kind: "message",
  content: [{ type: "text", text: value }],
  usage,
});
const toolCall = (id: string, name: string, input: unknown): FakeResponse => ({
  kind: "message",
  content: [{ type: "tool_use", id, name, input }],
  usage: { input_tokens: 1000, output_tokens: 100 },
});

const say = async (client: Client, ws: string, id: string, message: string) => {
  const res = await client.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: message } });
  expect(res.status).toBe(202);
};
const usageOf = async (client: Client, ws: string, id: string) =>
  (await getSession(client, ws, id)).usage as SessionUsage;

describe("Claude Code in a session", () => {
  it("counts every model request once, from the gateway's figures, across a stop and a resume", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    await script(
      toolCall("toolu_ls", "Bash", { command: "ls", description: "List files" }),
      text("Two requests."),
    );
    const { id } = await createSession(owner, ws, { model: "claude-haiku-4-5", prompt: "look around" });
    await waitForPhase(owner, ws, id, "Running", 20_000);
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("Two requests."),
      15_000,
    );
    const first = await eventually(
      () => usageOf(owner, ws, id),
      (u) => u.inputTokens === 2000,
    );
    // Haiku 4.5: $1 in, $5 out per million tokens.
    expect(first).toMatchObject({
      inputTokens: 2000,
      outputTokens: 200,
      costUsd: expect.closeTo((2000 * 1 + 200 * 5) / 1e6, 12),
    });

    await owner.api(`/api/workspaces/${ws}/sessions/${id}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, id, "Stopped", 15_000);
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/resume`, { method: "POST" });
    await waitForPhase(owner, ws, id, "Running", 20_000);
    await script(text("One more."));
    await say(owner, ws, id, "and once more");
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("One more."),
      15_000,
    );
    const after = await eventually(
      () => usageOf(owner, ws, id),
      (u) => u.inputTokens === 3000,
    );
    expect(after.outputTokens).toBe(300);
    const report = (
      await eventually(
        async () =>
          (await (await owner.api(`/api/workspaces/${ws}/usage`)).json()) as { days: { requests: number }[] },
        (u) => u.days.reduce((n, d) => n + d.requests, 0) === 3,
      )
    ).days;
    expect(report.reduce((n, d) => n + d.requests, 0)).toBe(3);
  });

  it("stops at the budget (reason budget) and then refuses new sessions with 402", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const patched = await owner.api(`/api/workspaces/${ws}`, {
      method: "PATCH",
      body: { monthlyBudgetUsd: 0.001 },
    });
    expect(patched.status).toBe(200);
    const { id } = await createSession(owner, ws, { model: "claude-haiku-4-5" });
    await waitForPhase(owner, ws, id, "Running", 20_000);
    // $0.002 of a $0.001 budget.
    await script(text("An expensive answer.", { input_tokens: 1000, output_tokens: 200 }));
    await say(owner, ws, id, "spend it");
    await waitForPhase(owner, ws, id, "Stopped", 20_000);
    expect((await eventsOf(owner, ws, id)).some((e) => e.phase === "Stopping" && e.reason === "budget")).toBe(
      true,
    );
    expect((await owner.api(`/api/workspaces/${ws}/sessions`, { body: {} })).status).toBe(402);
  });

  it("a Claude Code that dies loses its turn (turn_lost), not the session: the next message is answered", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, { model: "claude-haiku-4-5" });
    await waitForPhase(owner, ws, id, "Running", 20_000);
    await script(toolCall("toolu_wait", "Bash", { command: "sleep 30", description: "Wait" }));
    await say(owner, ws, id, "wait a while");
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => m.some((x) => x.blocks.some((b) => b.type === "tool_use" && b.status === "running")),
      15_000,
    );
    const { killed } = (await (await control("/agent/kill-claude", { sessionId: id })).json()) as {
      killed: number;
    };
    expect(killed).toBeGreaterThan(0);

    const events = await eventually(
      () => eventsOf(owner, ws, id),
      (e) => e.some((x) => x.type === "turn_lost"),
      15_000,
    );
    expect(events.some((e) => e.type === "agent_restarted")).toBe(true);
    await waitForAgentStatus(owner, ws, id, "idle");
    expect((await getSession(owner, ws, id)).phase).toBe("Running");
    const tool = (await transcriptOf(owner, ws, id))
      .flatMap((m) => m.blocks)
      .find((b) => b.type === "tool_use");
    expect(tool).toMatchObject({ status: "error" });

    await script(text("Back at work."));
    await say(owner, ws, id, "are you there?");
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("Back at work."),
      15_000,
    );
  });

  it("says a deprecated model's end of life once, as an event", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    await script(text("Hello."));
    const { id } = await createSession(owner, ws, { model: "claude-opus-4-5", prompt: "hi" });
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("Hello."),
      20_000,
    );
    const notices = (await eventsOf(owner, ws, id)).filter((e) => e.type === "model_deprecated");
    expect(notices).toHaveLength(1);
    expect(notices[0].reason).toContain("2027-01-22");
  });
});
